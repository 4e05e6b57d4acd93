/**
 * Priorities on a real three-node Redis Cluster: the level streams share their stream's hash
 * tag, so one consumer over streams on three nodes reads every level of each through that
 * stream's reader (weighted), with retries, delayed messages and dead letters on the levels.
 */
import { KeyBuilder, RedisConnection, StreamConsumer, StreamProducer, type PriorityLevel, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';

const keys = new KeyBuilder();

function streamsOnDistinctNodes(count: number): string[] {
  const rangeOf = (slot: number) => Math.min(2, Math.floor(slot / (16384 / 3)));
  const picked = new Map<number, string>();
  for (let i = 0; picked.size < count; i += 1) {
    const name = `cluster.prio.${i}`;
    const range = rangeOf(RedisConnection.slotOf(keys.stream(name)));
    if (!picked.has(range)) picked.set(range, name);
  }
  return [...picked.values()];
}

describe('priorities on a Redis Cluster (three primaries)', () => {
  let cluster: RedisCluster;
  let producer: StreamProducer;
  let consumer: StreamConsumer | undefined;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    producer = await StreamProducer.connect({ cluster: cluster.options, logger: collectingLogger() });
  }, 60_000);
  afterAll(async () => {
    await consumer?.stop();
    await producer?.close();
    await cluster?.stop();
  });

  it('reads every level of streams on three nodes: once each, retries on their level, delayed into their level, dead letters with their level', async () => {
    const streams = streamsOnDistinctNodes(3);
    for (const stream of streams) {
      expect(RedisConnection.slotOf(keys.levelStream(stream, 'high'))).toBe(RedisConnection.slotOf(keys.stream(stream)));
    }
    const handled = new Map<string, PriorityLevel[]>();
    consumer = new StreamConsumer({
      cluster: cluster.options, group: 'g', priority: {}, logger: collectingLogger(), maxDeliveries: 2, backoff: { delayMs: 20, maxDelayMs: 20, jitter: false }, delayed: { intervalMs: 50 },
    });
    const handler = (message: ReceivedMessage) => {
      const level = keys.parseLevelStream(message.streamKey)!.level;
      const key = `${message.stream} ${(message.data as { n: number }).n}`;
      handled.set(key, [...(handled.get(key) ?? []), level]);
      const { fail } = message.data as { fail?: 'once' | 'always' };
      if (fail === 'always' || (fail === 'once' && message.deliveryCount === 1)) throw new Error('fails');
    };
    for (const stream of streams) consumer.subscribe(stream, handler);
    await consumer.start();

    for (const stream of streams) {
      for (const [i, level] of (['high', 'normal', 'low'] as const).entries()) {
        await producer.publishMany(stream, Array.from({ length: 50 }, (_, n) => ({ data: { n: i * 100 + n }, options: { priority: level } })));
      }
      await producer.publish(stream, { n: 900, fail: 'once' }, { priority: 'low' });
      await producer.publish(stream, { n: 901 }, { priority: 'high', delayMs: 200 });
      await producer.publish(stream, { n: 902, fail: 'always' }, { priority: 'high' });
    }
    await waitFor(() => handled.size === streams.length * 153, { timeoutMs: 20_000, what: 'every entry handled' });
    for (const stream of streams) {
      expect(handled.get(`${stream} 0`)).toEqual(['high']);
      expect(handled.get(`${stream} 100`)).toEqual(['normal']);
      expect(handled.get(`${stream} 200`)).toEqual(['low']);
      expect(handled.get(`${stream} 900`)).toEqual(['low', 'low']);
      expect(handled.get(`${stream} 901`)).toEqual(['high']);
      await waitFor(async () => (await producer.connection.send<number>(['XLEN', keys.forStream(stream).deadLetter])) === 1, { what: `dead letter of ${stream}` });
      const [[, fields]] = await producer.connection.send<[string, string[]][]>(['XRANGE', keys.forStream(stream).deadLetter, '-', '+']);
      expect(fields[fields.indexOf('dlqPriority') + 1]).toBe('high');
    }
  });
});
