/**
 * Partitioned streams on a real three-primary Redis Cluster: the partitions of one stream
 * spread over every primary, three worker processes consume them unordered (every worker
 * reads every partition), and the stream grows from 6 to 12 partitions under load.
 */
import { KeyBuilder, RedisConnection, StreamProducer, setPartitionCount } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';
import { WorkerProcess } from '../support/worker-process.js';

const keys = new KeyBuilder();
const GROUP = 'billing';

interface Record {
  consumer: string;
  stream: string;
  messageId: string;
}

describe('partitioned streams on a three-primary Redis Cluster', () => {
  let cluster: RedisCluster;
  let producer: StreamProducer;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    producer = await StreamProducer.connect({ cluster: cluster.options, logger: collectingLogger() });
  }, 60_000);
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
  });
  afterAll(async () => {
    await producer?.close();
    await cluster?.stop();
  });

  /** The primary (port) serving each partition of `stream`. */
  async function nodesOf(stream: string, count: number): Promise<number[]> {
    return Promise.all(Array.from({ length: count }, async (_, i) => (await cluster.nodeOf(RedisConnection.slotOf(keys.stream(`${stream}#${i}`)))).port));
  }

  /** A stream name whose first `count` partitions live on all three primaries. */
  async function spreadStream(prefix: string, count: number): Promise<string> {
    for (let i = 0; ; i += 1) {
      const stream = `${prefix}.${i}`;
      if (new Set(await nodesOf(stream, count)).size === 3) return stream;
    }
  }

  async function records(recordKey: string): Promise<Record[]> {
    const lines = (await producer.connection.send<string[]>(['LRANGE', recordKey, '0', '-1'])) ?? [];
    return lines.map((line) => {
      const [, consumer, stream, messageId] = line.split(' ');
      return { consumer, stream, messageId };
    });
  }

  async function startWorkers(stream: string, recordKey: string, count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      workers.push(
        await WorkerProcess.start({
          url: '',
          stream,
          group: GROUP,
          consumer: `worker-${i}`,
          recordKey,
          fixture: 'partition-worker.mjs',
          options: { cluster: cluster.options, concurrency: 32, claim: { minIdleMs: 5_000, intervalMs: 1_000 } },
        }),
      );
    }
  }

  it('6 partitions over all three primaries; three workers consume unordered; nothing lost, the load spread over every worker', async () => {
    const stream = await spreadStream('cluster.unordered', 6);
    expect(new Set(await nodesOf(stream, 6)).size).toBe(3);
    await setPartitionCount(producer.connection, keys, stream, 6);
    const recordKey = `records:{${stream}}`;
    await startWorkers(stream, recordKey, 3);
    const total = 6_000;
    const published: string[] = [];
    for (let i = 0; i < total; i += 500) {
      const batch = await producer.publishMany(stream, Array.from({ length: 500 }, (_, j) => ({ data: { n: i + j }, options: { partitionKey: `key-${(i + j) % 200}` } })));
      published.push(...batch.map((r) => r.entryId));
    }
    const lengths = await Promise.all(Array.from({ length: 6 }, (_, i) => producer.connection.send<number>(['XLEN', keys.stream(`${stream}#${i}`)])));
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(total);
    for (const length of lengths) expect(length).toBeGreaterThan(total / 6 / 2);

    await waitFor(async () => (await records(recordKey)).length >= total, { timeoutMs: 90_000, what: `${total} handled` });
    const handled = await records(recordKey);
    const ids = new Set(handled.map((r) => r.messageId));
    expect(ids.size).toBe(total);
    expect(handled).toHaveLength(total);
    const perWorker = new Map<string, number>();
    for (const r of handled) perWorker.set(r.consumer, (perWorker.get(r.consumer) ?? 0) + 1);
    expect([...perWorker.keys()].sort()).toEqual(['worker-0', 'worker-1', 'worker-2']);
    for (const count of perWorker.values()) expect(count).toBeGreaterThan(total / 3 / 4);
    // Unordered: every worker read every partition (each partition was handled by all three).
    for (let i = 0; i < 6; i++) {
      const consumers = new Set(handled.filter((r) => r.stream === `${stream}#${i}`).map((r) => r.consumer));
      expect(consumers.size).toBe(3);
    }
    for (let i = 0; i < 6; i++) {
      await waitFor(async () => (await producer.connection.send<[number]>(['XPENDING', keys.stream(`${stream}#${i}`), GROUP]))[0] === 0, { what: `partition ${i} acked` });
    }
  });

  it('grows from 6 to 12 partitions under load: nothing lost, the new partitions consumed without a restart', async () => {
    const stream = await spreadStream('cluster.growing', 12);
    await setPartitionCount(producer.connection, keys, stream, 6);
    const recordKey = `records:{${stream}}`;
    await startWorkers(stream, recordKey, 3);
    let published = 0;
    let publishing = true;
    const load = (async () => {
      while (publishing) {
        await producer.publishMany(stream, Array.from({ length: 100 }, (_, j) => ({ data: { n: published + j }, options: { partitionKey: `key-${(published + j) % 200}` } })));
        published += 100;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await waitFor(async () => (await records(recordKey)).length >= 1_000, { timeoutMs: 60_000, what: 'load under way' });
    const grown = await setPartitionCount(producer.connection, keys, stream, 12);
    expect(grown).toEqual({ before: 6, after: 12 });
    await waitFor(async () => (await records(recordKey)).some((r) => r.stream === `${stream}#11`), { timeoutMs: 30_000, what: 'a new partition consumed' });
    const atGrowth = published;
    await waitFor(() => published >= atGrowth + 2_000, { timeoutMs: 60_000, what: 'more load after the growth' });
    publishing = false;
    await load;
    await waitFor(async () => new Set((await records(recordKey)).map((r) => r.messageId)).size >= published, { timeoutMs: 90_000, what: `${published} handled` });
    const handled = await records(recordKey);
    expect(new Set(handled.map((r) => r.messageId)).size).toBe(published);
    const partitionsRead = new Set(handled.map((r) => r.stream));
    expect(partitionsRead).toEqual(new Set(Array.from({ length: 12 }, (_, i) => `${stream}#${i}`)));
    for (const worker of workers) expect(worker.stderr).toContain(`grew from 6 to 12 partitions`);
  });
});
