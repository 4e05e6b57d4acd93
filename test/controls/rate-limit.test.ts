/**
 * Global rate limits (issue 14) with three real worker processes on one redis-server: a shared
 * `rateLimit: { max: 200, perMs: 1000 }` holds the group to 200 handled/s (±15%) over 10 s; a
 * handler's RateLimitedError(2000) holds every worker of the group back ~2 s and the entry runs
 * again afterwards with its delivery count unchanged (XPENDING).
 */
import { KeyBuilder, StreamProducer } from '@redstream/core';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { WorkerProcess } from '../support/worker-process.js';

interface Start {
  consumer: string;
  entryId: string;
  deliveryCount: number;
  at: number;
}

describe('global rate limits', () => {
  let redis: RedisServer;
  let client: Awaited<ReturnType<RedisServer['client']>>;
  let producer: StreamProducer;
  const workers: WorkerProcess[] = [];
  const keys = new KeyBuilder();
  // Declared before useRedisServers: Jest runs afterAll hooks in declaration order, so these close before the server stops.
  afterAll(async () => {
    await client?.quit();
    await producer?.close();
  });
  const servers = useRedisServers('file');

  beforeAll(async () => {
    redis = await servers.start();
    client = await redis.client();
    producer = await StreamProducer.connect({ url: redis.url });
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
  });
  const startWorkers = async (stream: string, options: object) => {
    for (const consumer of ['w1', 'w2', 'w3']) {
      workers.push(await WorkerProcess.start({ url: redis.url, stream, group: 'g', consumer, recordKey: `rec:${stream}`, options, fixture: 'rate-limited-worker.mjs' }));
    }
  };
  const starts = async (stream: string): Promise<Start[]> =>
    (await client.lRange(`rec:${stream}`, 0, -1)).map((line) => {
      const [consumer, entryId, deliveryCount, at] = line.split(' ');
      return { consumer, entryId, deliveryCount: Number(deliveryCount), at: Number(at) };
    });
  const publish = async (stream: string, count: number, data: object = {}) => {
    for (let sent = 0; sent < count; sent += 500) {
      await producer.publishMany(stream, Array.from({ length: Math.min(500, count - sent) }, () => ({ data })));
    }
  };

  it('three workers sharing rateLimit { max: 200, perMs: 1000 } handle 200/s (±15%) over 10 s', async () => {
    const stream = 'controls.rate';
    await publish(stream, 5_000);
    await startWorkers(stream, { rateLimit: { max: 200, perMs: 1_000 } });
    // Past the first second: the bucket starts full (a burst of max), the rate is measured after it.
    await waitFor(async () => (await client.lLen(`rec:${stream}`)) >= 300, { timeoutMs: 10_000, what: 'the first 300 handled' });
    const from = Date.now();
    await waitFor(async () => (await starts(stream)).some((s) => s.at >= from + 10_000), { timeoutMs: 20_000, intervalMs: 50, what: '10 s of handling' });
    const all = await starts(stream);
    const inWindow = all.filter((s) => s.at >= from && s.at < from + 10_000);
    const perSecond = inWindow.length / 10;
    const byWorker = ['w1', 'w2', 'w3'].map((w) => inWindow.filter((s) => s.consumer === w).length);
    const wait = await client.sendCommand(['HGETALL', keys.forStream(stream).rateLimit('g')]);
    console.info(`rate limit 200/s, three workers: ${perSecond.toFixed(1)}/s over 10 s (per worker ${byWorker.join(', ')}); bucket ${JSON.stringify(wait)}`);
    expect(perSecond).toBeGreaterThanOrEqual(170);
    expect(perSecond).toBeLessThanOrEqual(230);
    expect(byWorker.every((n) => n > 0)).toBe(true);
    expect(all.every((s) => s.deliveryCount === 1)).toBe(true);
  }, 60_000);

  it("a handler's RateLimitedError(2000) holds every worker back ~2 s without counting a delivery", async () => {
    const stream = 'controls.hold';
    await startWorkers(stream, { concurrency: 4 });
    const [limited] = await producer.publishMany(stream, [{ data: { throwRateLimited: 2_000, workMs: 500 } }]);
    await waitFor(async () => (await starts(stream)).length >= 1, { what: 'the first attempt' });
    const deliveries = async () => {
      const rows = (await client.sendCommand(['XPENDING', keys.stream(stream), 'g', limited.entryId, limited.entryId, '1'])) as [string, string, number, number][];
      return rows[0]?.[3];
    };
    // Work for every worker while the group is held back (once the hold is in Redis: the handler
    // records its start before it throws).
    const hold = keys.forStream(stream).rateLimitHold('g');
    await waitFor(async () => Number(await client.sendCommand(['PTTL', hold])) > 0, { intervalMs: 2, what: 'the hold key' });
    await publish(stream, 300);
    expect(await deliveries()).toBe(1);
    // Its second attempt runs 500 ms: long enough to read XPENDING while it is being handled.
    await waitFor(async () => (await starts(stream)).filter((s) => s.entryId === limited.entryId).length >= 2, { timeoutMs: 10_000, intervalMs: 5, what: 'the held entry to run again' });
    const countWhileRerun = await deliveries();
    await waitFor(async () => (await client.lLen(`rec:${stream}`)) >= 302, { timeoutMs: 15_000, what: 'the rest handled' });
    const all = await starts(stream);
    const attempts = all.filter((s) => s.entryId === limited.entryId);
    const thrownAt = attempts[0].at;
    const others = all.filter((s) => s.entryId !== limited.entryId);
    const firstAfter = Math.min(...others.map((s) => s.at));
    const heldMs = firstAfter - thrownAt;
    const rerunMs = attempts[1].at - thrownAt;
    console.info(`RateLimitedError(2000): no handler started for ${heldMs} ms after it; the entry ran again after ${rerunMs} ms with delivery count ${attempts[1].deliveryCount}`);
    expect(heldMs).toBeGreaterThanOrEqual(1_900);
    expect(heldMs).toBeLessThan(3_000);
    expect(new Set(others.map((s) => s.consumer)).size).toBe(3);
    expect(attempts.map((a) => a.deliveryCount)).toEqual([1, 1]);
    expect(countWhileRerun).toBe(1);
    await waitFor(async () => ((await client.sendCommand(['XPENDING', keys.stream(stream), 'g'])) as [number])[0] === 0, { what: 'everything acked' });
  }, 60_000);
});
