/**
 * Priorities (issue 14) against a real redis-server: `priority` publishes go to one stream per
 * level (`rs:{s}:high`, `rs:{s}`, `rs:{s}:low`); workers read higher levels first by weight (so
 * `low` still progresses) or strictly; retries, dead letters (and their replay), delayed
 * messages, dedupe and pause work on every level; a worker without the option reads levels
 * that come into use.
 */
import { getJobStatus, KeyBuilder, pauseGroup, readDeadLetters, replayDeadLetter, resumeGroup, type ConsumerOptions, type PriorityLevel, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { holdsFor, until, waitFor } from '../support/wait-for.js';

const keys = new KeyBuilder();
const levelOf = (message: ReceivedMessage): PriorityLevel => keys.parseLevelStream(message.streamKey)!.level;

describe('priorities', () => {
  const fx = useRedis();

  const publishLevel = async (stream: string, level: PriorityLevel, count: number) => {
    for (let sent = 0; sent < count; sent += 1_000) {
      const batch = Math.min(1_000, count - sent);
      await fx.producer.publishMany(stream, Array.from({ length: batch }, (_, i) => ({ data: { level, n: sent + i }, options: { priority: level } })));
    }
  };

  it('writes each level to its own stream sharing the hash tag; normal stays rs:{name}', async () => {
    await fx.producer.publish('prio.keys', 'h', { priority: 'high' });
    await fx.producer.publish('prio.keys', 'n');
    await fx.producer.publish('prio.keys', 'n2', { priority: 'normal' });
    await fx.producer.publish('prio.keys', 'l', { priority: 'low' });
    expect(await fx.client.xLen('rs:{prio.keys}:high')).toBe(1);
    expect(await fx.client.xLen('rs:{prio.keys}')).toBe(2);
    expect(await fx.client.xLen('rs:{prio.keys}:low')).toBe(1);
    // The level is the stream: entries carry no field for it, on any level.
    const [high] = await fx.client.xRange('rs:{prio.keys}:high', '-', '+');
    expect(high.message.priority).toBeUndefined();
    const normal = await fx.client.xRange('rs:{prio.keys}', '-', '+');
    expect(normal.map((entry) => entry.message.priority)).toEqual([undefined, undefined]);
    await expect(fx.producer.publish('prio.keys', 'x', { priority: 'urgent' as PriorityLevel })).rejects.toThrow(/priority.*"high", "normal", "low"/);
  });

  it('weights: with 10,000 low then 1,000 high queued, all high are handled before half of the low, and low still progresses', async () => {
    await publishLevel('prio.weights', 'low', 10_000);
    await publishLevel('prio.weights', 'high', 1_000);
    const order: PriorityLevel[] = [];
    await fx.consumer('prio.weights', (m) => void order.push(levelOf(m)), { priority: { weights: { high: 6, normal: 3, low: 1 } } });
    await waitFor(() => order.filter((level) => level === 'high').length === 1_000, { timeoutMs: 30_000, what: 'all high handled' });
    const lowBeforeLastHigh = order.slice(0, order.lastIndexOf('high')).filter((level) => level === 'low').length;
    console.info(`weights 6/3/1: ${lowBeforeLastHigh} of 10,000 low handled before the last of 1,000 high`);
    expect(lowBeforeLastHigh).toBeLessThan(5_000);
    expect(lowBeforeLastHigh).toBeGreaterThan(0);
    await waitFor(() => order.length === 11_000, { timeoutMs: 60_000, what: 'all handled' });
    await waitFor(async () => (await fx.pendingCount('prio.weights')) === 0, { what: 'normal acked' });
    const pending = async (level: PriorityLevel) => ((await fx.client.sendCommand(['XPENDING', keys.levelStream('prio.weights', level), 'g'])) as [number])[0];
    await waitFor(async () => (await pending('high')) + (await pending('low')) === 0, { what: 'high and low acked' });
  });

  it("'strict': none of low runs while high waits", async () => {
    await publishLevel('prio.strict', 'low', 2_000);
    await publishLevel('prio.strict', 'high', 1_000);
    const order: PriorityLevel[] = [];
    const prefetch = 8;
    await fx.consumer('prio.strict', (m) => void order.push(levelOf(m)), { priority: 'strict', concurrency: 4, prefetch });
    await waitFor(() => order.length === 3_000, { timeoutMs: 60_000, what: 'all handled' });
    // Entries read together with the last high ones (at most one prefetch) may start before those finish.
    console.info(`strict: the first low was the ${order.indexOf('low') + 1}th entry handled, after ${order.slice(0, order.indexOf('low')).length} high`);
    expect(order.indexOf('low')).toBeGreaterThanOrEqual(1_000 - prefetch);
    expect(order.slice(0, 1_000 - prefetch).every((level) => level === 'high')).toBe(true);
  });

  it('a failed entry of a level is retried from that level, dead-lettered with its level, and replayed to it', async () => {
    const seen: { level: PriorityLevel; deliveries: number; data: unknown }[] = [];
    const options: Partial<ConsumerOptions> = { priority: 'strict', maxDeliveries: 2, backoff: { delayMs: 10, maxDelayMs: 20, jitter: false } };
    await fx.consumer('prio.retry', (m) => {
      seen.push({ level: levelOf(m), deliveries: m.deliveryCount, data: m.data });
      if ((m.data as { fail: string }).fail === 'always' || m.deliveryCount === 1) throw new Error(`fails at ${m.deliveryCount}`);
    }, options);
    const retried = await fx.producer.publish('prio.retry', { fail: 'once' }, { priority: 'low' });
    const dead = await fx.producer.publish('prio.retry', { fail: 'always' }, { priority: 'high' });
    await waitFor(() => seen.filter((s) => (s.data as { fail: string }).fail === 'once').length === 2, { what: 'low retried' });
    expect(seen.filter((s) => (s.data as { fail: string }).fail === 'once')).toEqual([
      { level: 'low', deliveries: 1, data: { fail: 'once' } },
      { level: 'low', deliveries: 2, data: { fail: 'once' } },
    ]);
    const dlqKey = keys.forStream('prio.retry').deadLetter;
    await waitFor(async () => (await fx.client.xLen(dlqKey)) === 1, { what: 'dead letter' });
    const dlq = await fx.client.xRange(dlqKey, '-', '+');
    expect(dlq).toHaveLength(1);
    expect(dlq[0].message).toMatchObject({ dlqOriginalId: dead.entryId, dlqPriority: 'high', dlqReason: 'max-deliveries' });
    for (const level of ['high', 'low'] as const) {
      expect(((await fx.client.sendCommand(['XPENDING', keys.levelStream('prio.retry', level), 'g'])) as [number])[0]).toBe(0);
    }
    expect(seen.find((s) => (s.data as { fail: string }).fail === 'once')).toBeDefined();
    expect(retried.added).toBe(true);
  });

  it('keeps the tracking of two entries with the same id on two levels apart', async () => {
    // Two XADDs in the same millisecond give two level streams the same entry id; written here by hand, as another program would.
    const stream = 'prio.same-id';
    for (const level of ['high', 'normal'] as const) {
      await fx.client.sendCommand(['XADD', keys.levelStream(stream, level), '1700000000000-7', 'data', JSON.stringify({ level }), 'id', `job-${level}`, 'ts', '1700000000000']);
    }
    const handled: PriorityLevel[] = [];
    await fx.consumer(stream, (m) => {
      handled.push(levelOf(m));
      if (levelOf(m) === 'high') throw new Error('the high one failed');
    }, { priority: {}, maxDeliveries: 1 });
    await waitFor(async () => handled.length === 2 && (await fx.client.xLen(keys.forStream(stream).deadLetter)) === 1, { what: 'both handled, the high one dead-lettered' });
    const tracked = (level: PriorityLevel) => fx.client.hGetAll(keys.forStream(stream).level(level).job('1700000000000-7'));
    await waitFor(async () => (await tracked('high'))['g:error'] !== undefined, { what: 'the failure tracked' });
    expect(await tracked('high')).toMatchObject({ 'g:state': 'dead-lettered', 'g:error': 'the high one failed' });
    expect(await tracked('normal')).toEqual({});
    const statusOn = async (priority: PriorityLevel) => (await getJobStatus(fx.producer.connection, keys, stream, '1700000000000-7', { priority })).groups;
    expect(await statusOn('high')).toEqual([expect.objectContaining({ group: 'g', state: 'dead-lettered', error: 'the high one failed' })]);
    expect(await statusOn('normal')).toEqual([expect.objectContaining({ group: 'g', state: 'completed' })]);
    expect((await statusOn('normal'))[0].error).toBeUndefined();
  });

  it('replays a dead letter to the level it failed on', async () => {
    const seen: PriorityLevel[] = [];
    let fail = true;
    const consumer = await fx.consumer('prio.replay', (m) => {
      seen.push(levelOf(m));
      if (fail) throw new Error('down');
    }, { priority: {}, maxDeliveries: 1 });
    await fx.producer.publish('prio.replay', { n: 1 }, { priority: 'low' });
    const dlqKey = keys.forStream('prio.replay').deadLetter;
    await waitFor(async () => (await fx.client.xLen(dlqKey)) === 1, { what: 'dead-lettered' });
    fail = false;
    const [entry] = await fx.client.xRange(dlqKey, '-', '+');
    const [deadLetter] = await readDeadLetters(consumer.connection, keys, 'prio.replay', { limit: 10 });
    expect(deadLetter).toMatchObject({ id: entry.id, priority: 'low' });
    const outcome = await replayDeadLetter(consumer.connection, keys, 'prio.replay', deadLetter);
    expect(outcome.status).toBe('replayed');
    await waitFor(() => seen.length === 2, { what: 'replayed entry handled' });
    expect(seen).toEqual(['low', 'low']);
  });

  it('delayed messages of a level are promoted into that level', async () => {
    const seen: { level: PriorityLevel; at: number }[] = [];
    await fx.consumer('prio.delayed', (m) => void seen.push({ level: levelOf(m), at: Date.now() }), { priority: {} });
    const sentAt = Date.now();
    await fx.producer.publish('prio.delayed', { n: 1 }, { priority: 'high', delayMs: 300 });
    await fx.producer.publish('prio.delayed', { n: 2 }, { priority: 'low', delayMs: 300 });
    expect(await fx.client.zCard('rs:{prio.delayed}:high:delayed')).toBe(1);
    expect(await fx.client.zCard('rs:{prio.delayed}:low:delayed')).toBe(1);
    await waitFor(() => seen.length === 2, { what: 'delayed handled' });
    expect(seen.map((s) => s.level).sort()).toEqual(['high', 'low']);
    expect(Math.min(...seen.map((s) => s.at))).toBeGreaterThanOrEqual(sentAt + 300);
  });

  it('one idempotency key space per logical stream, whatever the level', async () => {
    const first = await fx.producer.publish('prio.idem', { n: 1 }, { priority: 'high', idempotencyKey: 'k1' });
    const again = await fx.producer.publish('prio.idem', { n: 1 }, { priority: 'low', idempotencyKey: 'k1' });
    expect(again).toEqual({ entryId: first.entryId, added: false });
    expect(await fx.client.exists('rs:{prio.idem}:low')).toBe(0);
  });

  it('one rate-limit bucket per logical stream and group: entries of every level count against it', async () => {
    const handledAt: number[] = [];
    for (const level of ['high', 'normal', 'low'] as const) await publishLevel('prio.rate', level, 100);
    // The bucket starts full (100) and refills 100/s: 300 entries take about 2 s (a bucket per level would let all through at once).
    await fx.consumer('prio.rate', () => void handledAt.push(Date.now()), { priority: {}, rateLimit: { max: 100, perMs: 1_000 } });
    await waitFor(() => handledAt.length === 300, { timeoutMs: 15_000, what: 'all handled' });
    expect(handledAt[299] - handledAt[0]).toBeGreaterThanOrEqual(1_500);
  });

  it('retention trims every level stream', async () => {
    for (const level of ['high', 'low'] as const) await publishLevel('prio.trim', level, 1_000);
    let handled = 0;
    await fx.consumer('prio.trim', () => void (handled += 1), { priority: {}, retention: { strategy: 'acked', intervalMs: 200 } });
    await waitFor(() => handled === 2_000, { timeoutMs: 20_000, what: 'all handled' });
    await waitFor(async () => (await fx.client.xLen('rs:{prio.trim}:high')) < 1_000 && (await fx.client.xLen('rs:{prio.trim}:low')) < 1_000, {
      timeoutMs: 10_000,
      what: 'both level streams trimmed',
    });
  });

  it('pause holds every level; resume releases them', async () => {
    const seen: PriorityLevel[] = [];
    const consumer = await fx.consumer('prio.pause', (m) => void seen.push(levelOf(m)), { priority: {} });
    await pauseGroup(consumer.connection, keys, 'prio.pause', 'g');
    // Every worker stops taking entries within one second of a pause.
    await until(Date.now() + 1_000);
    await fx.producer.publish('prio.pause', 1, { priority: 'high' });
    await fx.producer.publish('prio.pause', 2, { priority: 'low' });
    await holdsFor(() => seen.length === 0, { durationMs: 1_500, what: 'nothing handled while paused' });
    await resumeGroup(consumer.connection, keys, 'prio.pause', 'g');
    await waitFor(() => seen.length === 2, { what: 'handled after resume' });
  });

  it('without the option, a worker reads a level that comes into use after it started, and says so', async () => {
    const seen: PriorityLevel[] = [];
    const logger = collectingLogger();
    await fx.consumer('prio.auto', (m) => void seen.push(levelOf(m)), { logger });
    await fx.producer.publish('prio.auto', 'n');
    await waitFor(() => seen.length === 1, { what: 'normal handled' });
    expect(await fx.client.exists('rs:{prio.auto}:high')).toBe(0);
    await fx.producer.publish('prio.auto', 'h', { priority: 'high' });
    await waitFor(() => seen.length === 2, { timeoutMs: 5_000, what: 'high handled' });
    expect(seen).toEqual(['normal', 'high']);
    expect(logger.lines.join('\n')).toMatch(/reading priority levels "prio.auto" high/);
  });

  it('with the option, groups exist on every level from the start', async () => {
    await fx.consumer('prio.fixed', () => undefined, { priority: 'strict' });
    for (const level of ['high', 'normal', 'low'] as const) {
      const groups = (await fx.client.sendCommand(['XINFO', 'GROUPS', keys.levelStream('prio.fixed', level)])) as unknown[][];
      expect(groups.map((g) => g[1])).toEqual(['g']);
    }
  });

  it('rejects bad priority options at construction', async () => {
    const { StreamConsumer } = await import('@redstream/core');
    const make = (priority: unknown) => () => new StreamConsumer({ url: fx.redis.url, group: 'g', priority: priority as never });
    expect(make('fast')).toThrow(/priority/);
    expect(make({ weights: { high: 0 } })).toThrow(/priority\.weights\.high/);
    expect(make({ weights: { high: 1.5 } })).toThrow(/priority\.weights\.high/);
    expect(make({ weights: { urgent: 1 } })).toThrow(/urgent/);
    expect(make({ order: 'x' })).toThrow(/order/);
  });
});
