/**
 * The usual setup of a reliability test file: its own redis-server, an assertion client, a
 * producer, and consumers that are stopped after each test. Call at describe level.
 */
import { StreamConsumer, StreamProducer, type ConsumerOptions, type HandlerOptions, type MessageHandler } from '@redstream/core';
import type { RedisClientType } from 'redis';
import { collectingLogger } from './quiet-logger.js';
import { RedisServer, type RedisServerOptions } from './redis-server.js';

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
  const state = {} as { redis: RedisServer; client: RedisClientType; producer: StreamProducer };
  beforeAll(async () => {
    state.redis = await RedisServer.start(options);
    state.client = (await state.redis.client()) as RedisClientType;
    state.producer = await StreamProducer.connect({ url: state.redis.url });
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await state.producer?.close();
    await state.client?.quit();
    await state.redis?.stop();
  });
  return {
    get redis() {
      return state.redis;
    },
    get client() {
      return state.client;
    },
    get producer() {
      return state.producer;
    },
    async consumer(stream, handler, consumerOptions = {}, handlerOptions = {}) {
      const consumer = new StreamConsumer({ url: state.redis.url, group: 'g', logger: collectingLogger(), ...consumerOptions }).subscribe(
        stream,
        handler,
        handlerOptions,
      );
      consumers.push(consumer);
      await consumer.start();
      return consumer;
    },
    async pendingCount(stream, group = 'g') {
      return ((await state.client.sendCommand(['XPENDING', `rs:{${stream}}`, group])) as [number])[0];
    },
  };
}
