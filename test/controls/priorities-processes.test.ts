/**
 * Priorities with real worker processes: entries a SIGKILLed worker held on the `high` and
 * `low` level streams are reclaimed (XAUTOCLAIM per level) and handled by another worker; the
 * CLI (`streams`, `pending`) shows every level while they wait.
 */
import { StreamProducer, type PriorityLevel } from '@redstream/core';
import { runCli, runCliJson } from '../support/cli.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { parseRecords, WorkerProcess } from '../support/worker-process.js';

const STREAM = 'prio.crash';
const RECORDS = 'rec:prio';

describe('priorities across worker processes', () => {
  let redis: RedisServer;
  let producer: StreamProducer;
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await producer?.close();
  });
  const servers = useRedisServers('file');

  beforeAll(async () => {
    redis = await servers.start();
    producer = await StreamProducer.connect({ url: redis.url, logger: collectingLogger() });
  });
  const records = async () => {
    const client = await redis.client();
    try {
      return parseRecords(await client.lRange(RECORDS, 0, -1));
    } finally {
      await client.quit();
    }
  };
  const cli = (...args: string[]) => runCli(['--url', redis.url, ...args]);

  it('reclaims the entries of a SIGKILLed worker on every level, and the CLI shows each level', async () => {
    const options = { priority: 'strict' as const, concurrency: 4, prefetch: 8, claim: { minIdleMs: 1_000, intervalMs: 300, count: 100 } };
    const w1 = await WorkerProcess.start({ url: redis.url, stream: STREAM, group: 'g', consumer: 'w1', recordKey: RECORDS, options });
    workers.push(w1);
    const published = new Map<string, PriorityLevel>();
    for (const level of ['high', 'low'] as const) {
      const results = await producer.publishMany(STREAM, Array.from({ length: 4 }, () => ({ data: { workMs: 60_000, recordStart: true }, options: { priority: level } })));
      for (const { entryId } of results) published.set(`${level} ${entryId}`, level);
    }
    // Concurrency 4 runs the 4 high ones; the 4 low ones are held (prefetch 8) behind them.
    await waitFor(async () => (await records()).filter((r) => r.phase === 'start').length === 4, { timeoutMs: 10_000, what: 'w1 running 4 entries' });
    // Strict order reads the low level after the high one: the kill waits for that read too.
    const lowPending = async () => {
      const client = await redis.client();
      try {
        return ((await client.sendCommand(['XPENDING', 'rs:{prio.crash}:low', 'g'])) as [number])[0];
      } finally {
        await client.quit();
      }
    };
    await waitFor(async () => (await lowPending()) === 4, { timeoutMs: 10_000, what: 'w1 holding the 4 low entries' });
    await w1.kill();

    const streams = await runCliJson<{ stream: string; length: number; groups: { name: string; pending: number }[]; levels: { priority: string; key: string; length: number; groups: { pending: number }[] }[] }[]>([
      '--url', redis.url, '--json', 'streams', STREAM,
    ]);
    expect(streams[0]).toMatchObject({ stream: STREAM, length: 8, groups: [{ name: 'g', pending: 8 }] });
    expect(streams[0].levels.map((l) => [l.priority, l.key, l.length, l.groups[0].pending])).toEqual([
      ['high', 'rs:{prio.crash}:high', 4, 4],
      ['normal', 'rs:{prio.crash}', 0, 0],
      ['low', 'rs:{prio.crash}:low', 4, 4],
    ]);
    const table = await cli('streams', STREAM);
    expect(table.stdout).toMatch(/ high .*4/);
    expect(table.stdout).toMatch(/ low .*4/);
    const pending = await runCliJson<{ count: number; total: number; levels: { priority: string; count: number }[]; entries: { id: string }[] }>([
      '--url', redis.url, '--json', 'pending', STREAM, '--group', 'g', '--priority', 'low',
    ]);
    expect(pending.total).toBe(8);
    expect(pending.levels.map((l) => [l.priority, l.count])).toEqual([['high', 4], ['normal', 0], ['low', 4]]);
    expect(pending.count).toBe(4);
    expect(pending.entries.map((e) => `low ${e.id}`).every((id) => published.get(id) === 'low')).toBe(true);
    const bad = await cli('pending', STREAM, '--priority', 'urgent');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/high, normal, low/);

    // The second worker finishes fast: every entry of both levels is reclaimed and handled.
    const w2 = await WorkerProcess.start({ url: redis.url, stream: STREAM, group: 'g', consumer: 'w2', recordKey: RECORDS, options: { ...options, maxDeliveries: 10 } });
    workers.push(w2);
    // Reclaimed entries keep their payload (60 s of work): w2 runs them, so wait for their start records.
    await waitFor(async () => new Set((await records()).filter((r) => r.consumer === 'w2' && r.phase === 'start').map((r) => r.entryId)).size >= 4, {
      timeoutMs: 15_000,
      what: 'w2 running reclaimed entries',
    });
    const byW2 = (await records()).filter((r) => r.consumer === 'w2' && r.phase === 'start');
    expect(byW2.every((r) => r.deliveryCount >= 2)).toBe(true);
    // Strict order holds for reclaimed entries too: the high level's are reclaimed first.
    const firstFour = byW2.slice(0, 4).map((r) => published.get(`high ${r.entryId}`));
    expect(firstFour).toEqual(['high', 'high', 'high', 'high']);
  });
});
