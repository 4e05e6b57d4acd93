/**
 * Against a real three-node Redis Cluster: one consumer subscribed to streams whose slots
 * live on three different nodes reads each with its own reader on the owning node, and
 * every promise still holds — each message handled once, retries, dead letters, dedupe,
 * delayed messages, request-response, graceful shutdown.
 */
import 'reflect-metadata';
import { fieldsToObject, RedisConnection, StreamConsumer, StreamProducer, UnrecoverableError, type ReceivedMessage } from '@redstream/core';
import { RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';
import { startWorker } from '../nestjs/worker-app.js';

/** Stream names whose keys hash to slots served by three different nodes. */
function streamsOnDistinctNodes(count: number): string[] {
  const rangeOf = (slot: number) => Math.min(2, Math.floor(slot / (16384 / 3)));
  const picked = new Map<number, string>();
  for (let i = 0; picked.size < count; i += 1) {
    const name = `cluster.orders.${i}`;
    const range = rangeOf(RedisConnection.slotOf(`rs:{${name}}`));
    if (!picked.has(range)) picked.set(range, name);
  }
  return [...picked.values()];
}

describe('Redis Cluster (three primaries)', () => {
  let cluster: RedisCluster;
  let producer: StreamProducer;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    producer = await StreamProducer.connect({ cluster: cluster.options });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await cluster?.stop();
  });

  const send = <T>(args: string[]) => producer.connection.send<T>(args);
  const pending = async (stream: string) => (await send<[number]>(['XPENDING', `rs:{${stream}}`, 'g']))[0];

  it('consumes streams on three nodes with one consumer: once each, retries, dead letters, dedupe, delayed', async () => {
    const streams = streamsOnDistinctNodes(3);
    const owners = await Promise.all(streams.map((s) => cluster.nodeOf(RedisConnection.slotOf(`rs:{${s}}`))));
    expect(new Set(owners.map((node) => node.port)).size).toBe(3);

    const handled = new Map<string, number>();
    const failedOnce = new Set<string>();
    const consumer = new StreamConsumer({
      cluster: cluster.options,
      group: 'g',
      concurrency: 48,
      logger: collectingLogger(),
      backoff: { delayMs: 20, maxDelayMs: 20, jitter: false },
      maxDeliveries: 3,
      delayed: { intervalMs: 50 },
    });
    const handler = (message: ReceivedMessage) => {
      const { n, flaky, poison } = message.data as { n: number; flaky?: boolean; poison?: boolean };
      if (poison) throw new UnrecoverableError(`poison ${n}`);
      const id = `${message.stream}/${n}`;
      if (flaky && !failedOnce.has(id)) {
        failedOnce.add(id);
        throw new Error('flaky once');
      }
      handled.set(id, (handled.get(id) ?? 0) + 1);
    };
    for (const stream of streams) consumer.subscribe(stream, handler);
    await consumer.start();

    const perStream = 600;
    for (const stream of streams) {
      await producer.publishMany(
        stream,
        Array.from({ length: perStream }, (_, n) => ({
          data: { n, flaky: n % 50 === 3, poison: n === 17 },
          options: n % 2 === 0 ? { idempotencyKey: `${stream}-${n}` } : {},
        })),
      );
      // A repeat of a key within the TTL adds nothing.
      expect((await producer.publish(stream, { n: 0 }, { idempotencyKey: `${stream}-0` })).added).toBe(false);
      await producer.publish(stream, { n: perStream }, { delayMs: 100 });
    }

    const expected = streams.length * perStream; // 599 good messages + 1 delayed, per stream
    await waitFor(async () => handled.size === expected && (await Promise.all(streams.map(pending))).every((p) => p === 0), {
      timeoutMs: 30_000,
      what: 'every message handled on every node',
    });
    expect([...handled.values()].every((count) => count === 1)).toBe(true);
    expect(failedOnce.size).toBe(streams.length * 12);
    for (const stream of streams) {
      const letters = (await send<[string, string[]][]>(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])).map(([, f]) => fieldsToObject(f));
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ dlqReason: 'unrecoverable', dlqError: 'poison 17' });
    }
    await consumer.stop();
    for (const stream of streams) {
      const consumers = await send<unknown[]>(['XINFO', 'CONSUMERS', `rs:{${stream}}`, 'g']);
      expect(consumers).toEqual([]);
    }
  });

  it('round-trips request-response through the Nest transport on a cluster', async () => {
    const client = new RedisStreamsClient({ cluster: cluster.options, requestTimeoutMs: 5_000 });
    const { app } = await startWorker('cluster.prices', { cluster: cluster.options, group: 'pricing' }, {
      onQuote: (q) => ({ sku: q.sku, price: 7 }),
    });
    await expect(lastValueFrom(client.send('cluster.prices.quote', { sku: 'C-1' }))).resolves.toEqual({ sku: 'C-1', price: 7 });
    const id = await lastValueFrom(client.emit('cluster.prices', { event: 1 }));
    expect(id).toMatch(/^\d+-\d+$/);
    await app.close();
    await client.close();
  });
});
