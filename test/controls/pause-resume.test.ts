/**
 * Pause and resume (issue 14) with three real worker processes: `redstream pause` stops all
 * three taking new entries within one second while the handlers already running finish and
 * are acked; the pause survives a SIGKILL and restart of redis-server (AOF); `redstream
 * resume` starts all three again within a second; every entry is handled in the end.
 */
import { KeyBuilder, StreamProducer } from '@redstream/core';
import { runCli, runCliJson } from '../support/cli.js';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { holdsFor, until, waitFor } from '../support/wait-for.js';
import { parseRecords, WorkerProcess } from '../support/worker-process.js';

const STREAM = 'controls.pause';
const RECORDS = 'rec:pause';
const TOTAL = 300;
/** Each worker holds up to PREFETCH entries but runs CONCURRENCY: 4.8 s of queued work, which a pause must not start. */
const WORK_MS = 300;
const CONCURRENCY = 2;
const PREFETCH = 32;
/** How long the test watches for a handler start that should not happen. */
const QUIET_WINDOW_MS = 2_000;

describe('redstream pause / resume', () => {
  let redis: RedisServer;
  let producer: StreamProducer;
  const workers: WorkerProcess[] = [];
  const keys = new KeyBuilder();
  // Declared before useRedisServers: Jest runs afterAll hooks in declaration order, so these go before the server stops.
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await producer?.close();
  });
  const servers = useRedisServers('file');

  beforeAll(async () => {
    redis = await servers.start({ aof: true });
    producer = await StreamProducer.connect({ url: redis.url });
  });
  const withClient = async <T>(use: (client: Awaited<ReturnType<RedisServer['client']>>) => Promise<T>): Promise<T> => {
    const client = await redis.client();
    try {
      return await use(client);
    } finally {
      await client.quit();
    }
  };
  const records = () => withClient(async (client) => parseRecords(await client.lRange(RECORDS, 0, -1)));
  const starts = async () => (await records()).filter((r) => r.phase === 'start');
  const pendingCount = () => withClient(async (client) => ((await client.sendCommand(['XPENDING', keys.stream(STREAM), 'g'])) as [number])[0]);
  const cli = (...args: string[]) => runCli(['--url', redis.url, ...args]);

  it('stops three workers within 1 s, keeps them stopped across a Redis restart, and resume restarts them', async () => {
    for (const consumer of ['w1', 'w2', 'w3']) {
      workers.push(await WorkerProcess.start({ url: redis.url, stream: STREAM, group: 'g', consumer, recordKey: RECORDS, options: { concurrency: CONCURRENCY, prefetch: PREFETCH } }));
    }
    for (let sent = 0; sent < TOTAL; sent += 300) {
      await producer.publishMany(STREAM, Array.from({ length: 300 }, (_, i) => ({ data: { n: sent + i, workMs: WORK_MS, recordStart: true } })));
    }
    await waitFor(async () => new Set((await starts()).map((r) => r.consumer)).size === 3, { timeoutMs: 10_000, what: 'all three workers handling' });

    const paused = await cli('pause', STREAM, '--group', 'g');
    const pausedAt = Date.now();
    const [heldAtPause, startedAtPause] = [await pendingCount(), (await starts()).length];
    expect([paused.code, paused.stderr]).toEqual([0, '']);
    expect(paused.stdout).toContain('paused group g of controls.pause');

    await until(pausedAt + 1_000);
    const startedWithinOneSecond = (await starts()).length;
    // Running at the pause: finished and acked. Held and not started (prefetch): still pending on their worker.
    await waitFor(async () => {
      const all = await records();
      return all.filter((r) => r.phase === 'done').length === all.filter((r) => r.phase === 'start').length;
    }, { timeoutMs: 5_000, what: 'running handlers finished' });
    await holdsFor(async () => (await records()).filter((r) => r.phase === 'start').length === startedWithinOneSecond, {
      durationMs: QUIET_WINDOW_MS,
      what: 'no handler starting while paused',
    });
    const all = await records();
    expect(all.filter((r) => r.phase === 'start').length).toBe(startedWithinOneSecond);
    expect(all.filter((r) => r.phase === 'done').length).toBe(startedWithinOneSecond);
    expect(await pendingCount()).toBeLessThanOrEqual(3 * PREFETCH);
    // Held entries did not start: at most what could start before the broadcast arrived (one round per worker).
    expect(startedWithinOneSecond - startedAtPause).toBeLessThanOrEqual(3 * CONCURRENCY);
    expect(startedWithinOneSecond).toBeLessThan(TOTAL);

    const stats = await runCliJson<{ groups: { name: string; paused: boolean }[] }[]>(['--url', redis.url, 'streams', STREAM]);
    expect(stats[0].groups).toEqual([expect.objectContaining({ name: 'g', paused: true })]);
    const table = await cli('streams', STREAM);
    expect(table.stdout).toMatch(/controls\.pause\W+300\W+g\W+paused\W/);

    // The pause key is in the AOF: after a crash of Redis the workers reconnect and stay paused.
    await redis.kill();
    await redis.launch();
    await waitFor(
      () => withClient(async (client) => (String(await client.sendCommand(['CLIENT', 'LIST'])).match(/name=redstream-g-w\d-reader/g) ?? []).length === 3),
      { timeoutMs: 15_000, what: 'the three workers reading again' },
    );
    await holdsFor(async () => (await starts()).length === startedWithinOneSecond, { durationMs: QUIET_WINDOW_MS, what: 'no handler starting after the restart' });
    expect((await starts()).length).toBe(startedWithinOneSecond);

    const resumed = await cli('resume', STREAM, '--group', 'g');
    const resumedAt = Date.now();
    expect([resumed.code, resumed.stderr]).toEqual([0, '']);
    await waitFor(
      async () => {
        const after = (await starts()).slice(startedWithinOneSecond);
        return new Set(after.map((r) => r.consumer)).size === 3;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: 'all three workers handling again' },
    );
    const restartMs = Date.now() - resumedAt;
    await waitFor(async () => (await records()).filter((r) => r.phase === 'done').length >= TOTAL && (await pendingCount()) === 0, {
      timeoutMs: 60_000,
      what: 'every entry handled',
    });
    const handled = new Set((await records()).filter((r) => r.phase === 'done').map((r) => r.entryId));
    console.info(`pause: ${heldAtPause} entries held by the workers at the pause, ${startedAtPause} started before it and ${startedWithinOneSecond - startedAtPause} after; all three workers handling again ${restartMs} ms after resume`);
    expect(restartMs).toBeLessThan(1_500);
    expect(handled.size).toBe(TOTAL);
    expect(await runCliJson(['--url', redis.url, 'streams', STREAM])).toEqual([expect.objectContaining({ groups: [expect.objectContaining({ paused: false })] })]);
  }, 120_000);
});
