/**
 * DESIGN.md delivery semantics 1 and 3 with real worker processes at DEFAULT settings
 * (claim.minIdleMs 15 s, claim.intervalMs 5 s): a worker SIGKILLed mid-batch loses
 * nothing and its entries are handled again within 20 s; a live handler that runs 60 s
 * keeps its entry. The two scenarios are independent and run side by side.
 */
import { KeyBuilder } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';
import { parseRecords, WorkerProcess, type HandledRecord } from '../support/worker-process.js';

const TOTAL = 20_000;

describe('worker crash and long handlers at default claim settings', () => {
  // Its own redis-server, an assertion client and a producer; the workers are killed after each test.
  const fx = useRedis();
  const keys = new KeyBuilder();
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });

  const startWorker = async (stream: string, consumer: string) => {
    const worker = await WorkerProcess.start({ url: fx.redis.url, stream, group: 'g', consumer, recordKey: `rec:${stream}` });
    workers.push(worker);
    return worker;
  };
  const records = async (stream: string): Promise<HandledRecord[]> => parseRecords(await fx.client.lRange(`rec:${stream}`, 0, -1));
  const pendingOf = async (stream: string, consumer: string): Promise<string[]> => {
    const rows = (await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g', '-', '+', '100000', consumer])) as string[][];
    return rows.map((row) => row[0]);
  };
  const pendingCount = async (stream: string) => ((await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g'])) as [number])[0];

  async function crashMidFlow(): Promise<void> {
    const stream = 'crash.flow';
    const doomed = await startWorker(stream, 'worker-a');
    const survivor = await startWorker(stream, 'worker-b');
    const entryIds: string[] = [];
    const publishing = (async () => {
      for (let sent = 0; sent < TOTAL; sent += 500) {
        const results = await fx.producer.publishMany(stream, Array.from({ length: 500 }, (_, i) => ({ data: { n: sent + i, workMs: 2 } })));
        entryIds.push(...results.map((r) => r.entryId));
      }
    })();
    await waitFor(async () => (await fx.client.lLen(`rec:${stream}`)) >= 5_000, { timeoutMs: 60_000, intervalMs: 5, what: '5,000 handled' });
    await doomed.kill();
    const killedAt = Date.now();
    const inFlightAtKill = await pendingOf(stream, 'worker-a');
    expect(inFlightAtKill.length).toBeGreaterThan(0);
    await publishing;

    // Every entry the dead worker held is handled again by the survivor.
    const orphans = new Set(inFlightAtKill);
    await waitFor(
      async () => {
        const redone = (await records(stream)).filter((r) => r.consumer === 'worker-b' && orphans.has(r.entryId));
        return new Set(redone.map((r) => r.entryId)).size === orphans.size;
      },
      { timeoutMs: 40_000, intervalMs: 100, what: "the dead worker's entries to be handled again" },
    );
    const reclaimMs = Date.now() - killedAt;
    await waitFor(async () => (await pendingCount(stream)) === 0 && (await fx.client.lLen(`rec:${stream}`)) >= TOTAL, {
      timeoutMs: 60_000,
      what: 'all entries handled and acked',
    });

    const all = await records(stream);
    const handled = new Map<string, number>();
    for (const record of all) handled.set(record.entryId, (handled.get(record.entryId) ?? 0) + 1);
    expect(new Set(entryIds).size).toBe(TOTAL);
    const lost = entryIds.filter((id) => !handled.has(id));
    const duplicated = [...handled].filter(([, times]) => times > 1).map(([id]) => id);
    console.info(
      `SIGKILL with ${TOTAL} flowing: ${inFlightAtKill.length} in flight at the kill, handled again after ${reclaimMs} ms, ` +
        `${duplicated.length} duplicates, ${lost.length} lost`,
    );
    expect(lost).toEqual([]);
    expect(duplicated.length).toBeLessThanOrEqual(inFlightAtKill.length);
    expect(duplicated.every((id) => orphans.has(id))).toBe(true);
    expect(reclaimMs).toBeLessThanOrEqual(20_000);
    expect(await pendingCount(stream)).toBe(0);
    expect(survivor.stderr).not.toMatch(/^error /m);
  }

  async function longHandlerKeepsItsEntry(): Promise<void> {
    const stream = 'crash.long';
    await startWorker(stream, 'worker-c');
    await startWorker(stream, 'worker-d');
    const { entryId } = await fx.producer.publish(stream, { workMs: 60_000, recordStart: true });
    await waitFor(async () => (await records(stream)).some((r) => r.phase === 'done'), {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: 'the 60 s handler to finish',
    });
    const seen = await records(stream);
    expect(seen.filter((r) => r.phase === 'start')).toHaveLength(1);
    expect(seen.filter((r) => r.phase === 'done')).toEqual([expect.objectContaining({ entryId, deliveryCount: 1 })]);
    await waitFor(async () => (await pendingCount(stream)) === 0, { what: 'the long entry acked' });
    const [start, done] = await Promise.all(
      ['start', 'done'].map(async (phase) => (await fx.client.lRange(`rec:${stream}`, 0, -1)).indexOf(`${phase} ${seen[0].consumer} ${entryId} 1`)),
    );
    expect([start, done]).toEqual([0, 1]);
  }

  it('loses nothing when a worker is SIGKILLed mid-batch, reclaims within 20 s, and never steals a 60 s handler', async () => {
    await Promise.all([longHandlerKeepsItsEntry(), crashMidFlow()]);
  }, 150_000);
});
