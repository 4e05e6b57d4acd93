/**
 * Batch handlers and crashes (issue 14), with real worker processes: a worker SIGKILLed while
 * its batches run and wait loses nothing; what it held (running batches and entries in line)
 * is reclaimed and handled by the other worker, and no batch ever exceeds maxSize.
 */
import { KeyBuilder } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { parseRecords, WorkerProcess } from '../support/worker-process.js';

const TOTAL = 6_000;

describe('batch handlers and a crashed worker', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });
  const pendingOf = async (stream: string, consumer: string): Promise<string[]> =>
    ((await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g', '-', '+', '100000', consumer])) as string[][]).map((row) => row[0]);

  it('loses nothing when a worker is SIGKILLed mid-batch: another worker reclaims and handles its entries', async () => {
    const stream = 'batch.crash';
    const options = { concurrency: 2, prefetch: 200, workMs: 30, batch: { maxSize: 50, maxWaitMs: 20 }, claim: { minIdleMs: 2_000, intervalMs: 250 } };
    const start = async (consumer: string) => {
      const worker = await WorkerProcess.start({ url: fx.redis.url, stream, group: 'g', consumer, recordKey: `rec:${stream}`, options, fixture: 'batch-worker.mjs' });
      workers.push(worker);
      return worker;
    };
    const entryIds: string[] = [];
    for (let sent = 0; sent < TOTAL; sent += 500) {
      entryIds.push(...(await fx.producer.publishMany(stream, Array.from({ length: 500 }, (_, i) => ({ data: { n: sent + i } })))).map((r) => r.entryId));
    }
    const doomed = await start('worker-a');
    const survivor = await start('worker-b');
    await waitFor(async () => (await fx.client.lLen(`rec:${stream}`)) >= 1_000, { timeoutMs: 30_000, intervalMs: 5, what: '1,000 handled' });
    await doomed.kill();
    const killedAt = Date.now();
    const orphans = new Set(await pendingOf(stream, 'worker-a'));
    expect(orphans.size).toBeGreaterThan(0);

    await waitFor(async () => (await fx.pendingCount(stream)) === 0 && new Set((await fx.client.lRange(`rec:${stream}`, 0, -1)).map((l) => l.split(' ')[2])).size === TOTAL, {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'every entry handled and acked',
    });
    const records = parseRecords(await fx.client.lRange(`rec:${stream}`, 0, -1));
    const times = new Map<string, number>();
    for (const record of records) times.set(record.entryId, (times.get(record.entryId) ?? 0) + 1);
    const lost = entryIds.filter((id) => !times.has(id));
    const duplicated = [...times].filter(([, n]) => n > 1).map(([id]) => id);
    const redone = records.filter((r) => r.consumer === 'worker-b' && orphans.has(r.entryId));
    const sizes = (await fx.client.lRange(`rec:${stream}:batches`, 0, -1)).map((line) => Number(line.split(' ')[1]));
    console.info(
      `SIGKILL mid-batch: ${orphans.size} entries held by the dead worker, handled again by the other within ${Date.now() - killedAt} ms; ` +
        `${duplicated.length} handled twice, ${lost.length} lost; ${sizes.length} batches, largest ${Math.max(...sizes)}`,
    );
    expect(lost).toEqual([]);
    expect(new Set(redone.map((r) => r.entryId)).size).toBe(orphans.size);
    expect(duplicated.every((id) => orphans.has(id))).toBe(true);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(survivor.stderr).not.toMatch(/^error /m);
  }, 120_000);
});
