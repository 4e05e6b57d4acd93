/**
 * Schedules (issue 15) against real Redis: three worker processes running the scheduler
 * publish each tick of an `everyMs: 1000` schedule exactly once for 10 s — no duplicate, no
 * gap — while one of them is SIGKILLed mid-run; `catchUp` after a 5 s stop publishes the
 * latest missed tick once (`last`) or none (`none`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KeyBuilder, listSchedules, removeSchedule, saveSchedule, Scheduler, fieldsToObject } from '@redstream/core';
import { runCli, runCliJson } from '../support/cli.js';
import { quietLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/scheduling-worker.mjs', import.meta.url));

describe('schedules', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  /** The tick times published to a stream, from each entry's schedule-tick header, in stream order. */
  const publishedTicks = async (stream: string) =>
    ((await fx.client.sendCommand(['XRANGE', keys.stream(stream), '-', '+'])) as [string, string[]][]).map(
      ([, fields]) => Date.parse(JSON.parse(fieldsToObject(fields).headers)['schedule-tick']),
    );

  async function startWorker(stream: string, consumer: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, REDIS_URL: fx.redis.url, STREAM: stream, GROUP: 'g', CONSUMER: consumer },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitFor(() => out.includes('ready'), { timeoutMs: 20_000, what: `${consumer} ready` });
    return child;
  }

  it('publishes each tick once across three worker processes for 10 s, one of them killed mid-run', async () => {
    const stream = 'schedules.replicas';
    const workers = await Promise.all(['w1', 'w2', 'w3'].map((name) => startWorker(stream, name)));
    const startAt = Math.ceil((Date.now() + 1_500) / 1_000) * 1_000;
    const expected = Array.from({ length: 10 }, (_, n) => startAt + n * 1_000);
    await saveSchedule(fx.producer.connection, keys, 'every-second', { everyMs: 1_000, stream, data: { report: true }, startAt, endAt: expected[9] });

    await waitFor(async () => (await publishedTicks(stream)).length >= 4, { timeoutMs: 15_000, what: 'four ticks' });
    workers[0].kill('SIGKILL');
    const [schedule] = await waitFor(async () => {
      const all = await listSchedules(fx.producer.connection, keys);
      return all[0]?.next === null ? all : undefined;
    }, { timeoutMs: 20_000, what: 'the schedule to finish at endAt' });

    expect(await publishedTicks(stream)).toEqual(expected);
    expect(schedule).toMatchObject({ name: 'every-second', stream, runs: 10, lastTick: expected[9] });
  });

  it('after a 5 s stop publishes the latest missed tick once with catchUp last, and none with catchUp none', async () => {
    const graceMs = 300;
    for (const catchUp of ['last', 'none'] as const) {
      await saveSchedule(fx.producer.connection, keys, `catch-up-${catchUp}`, { everyMs: 1_000, stream: `schedules.${catchUp}`, data: {}, catchUp });
    }
    const scheduler = new Scheduler(fx.producer.connection, { graceMs, pollMs: 200, logger: quietLogger });
    scheduler.start();
    await waitFor(async () => (await publishedTicks('schedules.last')).length >= 2 && (await publishedTicks('schedules.none')).length >= 2, {
      what: 'two ticks each',
    });
    await scheduler.stop();
    const stoppedAt = Date.now();
    const before = { last: await publishedTicks('schedules.last'), none: await publishedTicks('schedules.none') };
    await waitFor(() => Date.now() - stoppedAt >= 5_000, { timeoutMs: 6_000, intervalMs: 100, what: 'five seconds of downtime' });

    const restartedAt = Date.now();
    const restarted = new Scheduler(fx.producer.connection, { graceMs, pollMs: 200, logger: quietLogger });
    restarted.start();
    try {
      // Ticks older than the grace at the restart were missed; later ones are on time.
      const missed = (ticks: number[]) => ticks.filter((t) => t < restartedAt - graceMs);
      for (const catchUp of ['last', 'none'] as const) {
        const stream = `schedules.${catchUp}`;
        const lastBefore = before[catchUp][before[catchUp].length - 1];
        const after = await waitFor(async () => {
          const ticks = await publishedTicks(stream);
          return ticks.some((t) => t > restartedAt) ? ticks : undefined;
        }, { what: `${catchUp}: a tick after the restart` });
        expect(after.slice(0, before[catchUp].length)).toEqual(before[catchUp]);
        const gap = after.slice(before[catchUp].length);
        const missedTicks = Array.from({ length: 10 }, (_, n) => lastBefore + (n + 1) * 1_000).filter((t) => t < restartedAt - graceMs);
        expect(missedTicks.length).toBeGreaterThanOrEqual(4);
        expect(missed(gap)).toEqual(catchUp === 'last' ? [missedTicks[missedTicks.length - 1]] : []);
        // Then every tick from the restart on, each once.
        const onTime = gap.filter((t) => t >= restartedAt - graceMs);
        expect(onTime).toEqual(onTime.map((_, n) => onTime[0] + n * 1_000));
      }
    } finally {
      await restarted.stop();
    }
  });

  it('saving the same definition again keeps its state; the CLI lists and removes schedules', async () => {
    const stream = 'schedules.cli';
    const first = await saveSchedule(fx.producer.connection, keys, 'nightly', { cron: '0 3 * * *', tz: 'UTC', stream, data: { kind: 'report' } });
    await fx.client.sendCommand(['HSET', keys.forStream(stream).schedule('nightly'), 'runs', '7']);
    const again = await saveSchedule(fx.producer.connection, keys, 'nightly', { cron: '0 3 * * *', tz: 'UTC', stream, data: { kind: 'report' } });
    expect(again).toMatchObject({ next: first.next, runs: 7 });
    expect(new Date(first.next!).toISOString()).toMatch(/T03:00:00.000Z$/);

    const listed = await runCliJson(['--url', fx.redis.url, 'schedules']);
    expect(listed).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'nightly', stream, cron: '0 3 * * *', next: new Date(first.next!).toISOString(), lastRun: null })]));
    const table = await runCli(['--url', fx.redis.url, 'schedules']);
    expect(table.stdout).toMatch(/nightly\s+│\s+schedules\.cli\s+│\s+0 3 \* \* \*/);
    expect((await runCli(['--url', fx.redis.url, 'unschedule', 'nightly'])).code).toBe(0);
    expect((await listSchedules(fx.producer.connection, keys)).map((s) => s.name)).not.toContain('nightly');
    const missing = await runCli(['--url', fx.redis.url, 'unschedule', 'nightly']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no schedule named "nightly"/);
    expect(await removeSchedule(fx.producer.connection, keys, 'nightly')).toBe(false);
  });
});
