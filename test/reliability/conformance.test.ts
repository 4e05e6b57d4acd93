/**
 * One behavioural suite, run against every configuration (Watermill-conformance style):
 * publish N, consume N, crash a worker process mid-way, nothing lost. Workers are real
 * child processes running the built @redstream/core.
 */
import { KeyBuilder, type ConsumerOptions, type PublishOptions } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import type { RedisServerOptions } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { parseRecords, WorkerProcess } from '../support/worker-process.js';

const N = 3_000;

interface Configuration {
  name: string;
  redis: RedisServerOptions;
  /** Extra consumer options for every worker. */
  consumer: Partial<ConsumerOptions>;
  /** How each message is published. */
  publish: (n: number) => PublishOptions;
}

const configurations: Configuration[] = [
  { name: 'single Redis, dedupe on (idempotency keys)', redis: {}, consumer: {}, publish: (n) => ({ idempotencyKey: `job-${n}` }) },
  { name: 'single Redis, dedupe off', redis: {}, consumer: { dedupe: false }, publish: () => ({}) },
  // Redis Cluster rejects any command or Lua step whose keys span slots (CROSSSLOT).
  { name: 'cluster mode, dedupe on', redis: { cluster: 'all-slots' }, consumer: {}, publish: (n) => ({ idempotencyKey: `job-${n}` }) },
];

describe.each(configurations)('conformance: $name', (configuration) => {
  const fx = useRedis(configuration.redis);
  const keys = new KeyBuilder();
  const workers: WorkerProcess[] = [];
  const claim = { minIdleMs: 1_000, intervalMs: 250 };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });

  const startWorker = async (stream: string, consumer: string) => {
    const worker = await WorkerProcess.start({
      url: fx.redis.url, stream, group: 'g', consumer, recordKey: `rec:${stream}`, options: { ...configuration.consumer, claim },
    });
    workers.push(worker);
    return worker;
  };
  const publishAll = async (stream: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let sent = 0; sent < N; sent += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => ({ data: { n: sent + i, workMs: 1 }, options: configuration.publish(sent + i) }));
      ids.push(...(await fx.producer.publishMany(stream, batch)).map((r) => r.entryId));
    }
    return ids;
  };
  const handledCounts = async (stream: string) => {
    const counts = new Map<string, number>();
    for (const record of parseRecords(await fx.client.lRange(`rec:${stream}`, 0, -1))) counts.set(record.entryId, (counts.get(record.entryId) ?? 0) + 1);
    return counts;
  };
  const pendingCount = async (stream: string) => ((await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g'])) as [number])[0];

  it('publishes N and consumes N exactly once with two workers', async () => {
    const stream = 'conformance.plain';
    await startWorker(stream, 'w1');
    await startWorker(stream, 'w2');
    const ids = await publishAll(stream);
    await waitFor(async () => (await fx.client.lLen(`rec:${stream}`)) >= N && (await pendingCount(stream)) === 0, { timeoutMs: 30_000, what: 'N handled' });
    const counts = await handledCounts(stream);
    expect(ids.filter((id) => counts.get(id) !== 1)).toEqual([]);
    expect(counts.size).toBe(N);
  });

  it('loses nothing when a worker is SIGKILLed mid-way and restarted under the same name', async () => {
    const stream = 'conformance.crash';
    const doomed = await startWorker(stream, 'w1');
    await startWorker(stream, 'w2');
    const publishing = publishAll(stream);
    await waitFor(async () => (await fx.client.lLen(`rec:${stream}`)) >= N / 3, { timeoutMs: 30_000, intervalMs: 5, what: 'a third handled' });
    await doomed.kill();
    const inFlightAtKill = ((await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g', '-', '+', '10000', 'w1'])) as string[][]).length;
    // The same pod name comes back: it first takes back what it still owns.
    await startWorker(stream, 'w1');
    const ids = await publishing;
    await waitFor(async () => {
      const counts = await handledCounts(stream);
      return ids.every((id) => counts.has(id)) && (await pendingCount(stream)) === 0;
    }, { timeoutMs: 30_000, what: 'every message handled and nothing pending' });
    const counts = await handledCounts(stream);
    const duplicates = [...counts.values()].filter((times) => times > 1).length;
    expect(counts.size).toBe(N);
    expect(duplicates).toBeLessThanOrEqual(inFlightAtKill);
  });
});
