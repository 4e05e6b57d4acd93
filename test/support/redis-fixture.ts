/**
 * The usual setup of a reliability test file: usePrivateRedis (its own redis-server and an
 * assertion client) plus a producer, and consumers that are stopped after each test. Call at describe level.
 */
import { KeyBuilder, StreamConsumer, StreamProducer, type ConsumerOptions, type HandlerOptions, type MessageHandler } from '@redstream/core';
import type { RedisClientType } from 'redis';
import { collectingLogger } from './quiet-logger.js';
import { usePrivateRedis } from './private-redis.js';
import type { RedisServer, RedisServerOptions } from './redis-server.js';

export interface RedisFixture {
  readonly redis: RedisServer;
  readonly client: RedisClientType;
  readonly producer: StreamProducer;
  /** A started consumer in group `g` with a collecting logger, stopped after the test. */
  consumer(stream: string, handler: MessageHandler, options?: Partial<ConsumerOptions>, handlerOptions?: HandlerOptions): Promise<StreamConsumer>;
  /** XPENDING summary count of a group (what KEDA reads). */
  pendingCount(stream: string, group?: string): Promise<number>;
}

export function useRedis(options: RedisServerOptions = {}): RedisFixture {
  const consumers: StreamConsumer[] = [];
  let producer: StreamProducer;
  // Jest runs hooks of one kind in the order they were declared: the producer closes before
  // usePrivateRedis stops the server, and connects after it started.
  afterAll(async () => {
    await producer?.close();
  });
  const env = usePrivateRedis(options);
  beforeAll(async () => {
    // Its own logger: test servers run without persistence, which the producer warns about at start.
    producer = await StreamProducer.connect({ url: env.redis.url, logger: collectingLogger() });
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  return {
    get redis() {
      return env.redis;
    },
    get client() {
      return env.client as RedisClientType;
    },
    get producer() {
      return producer;
    },
    async consumer(stream, handler, consumerOptions = {}, handlerOptions = {}) {
      const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', logger: collectingLogger(), ...consumerOptions }).subscribe(
        stream,
        handler,
        handlerOptions,
      );
      consumers.push(consumer);
      await consumer.start();
      return consumer;
    },
    async pendingCount(stream, group = 'g') {
      return ((await env.client.sendCommand(['XPENDING', new KeyBuilder().stream(stream), group])) as [number])[0];
    },
  };
}
