/**
 * DESIGN.md delivery semantics 4: producer dedupe (one Lua step: GET, XADD, SET PX) and
 * consumer dedupe (completion mark + XACK in one Lua step, checked before the handler; the
 * marks are members of time-bucketed sets, completion-marks.ts).
 */
import { StreamConsumer, StreamProducer, type HandledOutcome, type ReceivedMessage } from '@redstream/core';
import { commandStats } from '../support/command-stats.js';
import { completedKeys, completionBuckets, markCompleted } from '../support/completion-marks.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('idempotency', () => {
  const fx = useRedis();

  it('adds one entry for one key published by 5 concurrent clients, and returns its id to all of them', async () => {
    const producers = await Promise.all(Array.from({ length: 5 }, () => StreamProducer.connect({ url: fx.redis.url })));
    try {
      const results = await Promise.all(producers.map((p, i) => p.publish('idem.publish', { from: i }, { idempotencyKey: 'order-42' })));
      expect(await fx.client.xLen('rs:{idem.publish}')).toBe(1);
      expect(new Set(results.map((r) => r.entryId)).size).toBe(1);
      expect(results.filter((r) => r.added)).toHaveLength(1);
      expect(await fx.client.get('rs:{idem.publish}:idem:order-42')).toBe(results[0].entryId);
      expect(await fx.client.pTTL('rs:{idem.publish}:idem:order-42')).toBeGreaterThan(86_000_000);
    } finally {
      await Promise.all(producers.map((p) => p.close()));
    }
  });

  it.each([
    ['on', 'skipped', undefined, ['first'], ['success', 'skipped-duplicate']],
    ['off', 'handled again', false as const, ['first', 'again'], ['success', 'success']],
  ])('with consumer dedupe %s, a message re-published with the same key after the producer mark expired is %s', async (mode, _verb, dedupe, expectedHandled, outcomes) => {
    const stream = `idem.consume.${mode}`;
    // A producer whose own dedupe forgets keys after 50 ms, so the same key can be published twice.
    const producer = await StreamProducer.connect({ url: fx.redis.url, dedupe: { ttlMs: 50 } });
    const handled: ReceivedMessage[] = [];
    const seen: HandledOutcome[] = [];
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', logger: collectingLogger(), ...(dedupe === false ? { dedupe } : {}) })
      .subscribe(stream, (message) => void handled.push(message))
      .addObserver({ handled: (_s, outcome) => void seen.push(outcome) });
    await consumer.start();
    try {
      const first = await producer.publish(stream, 'first', { idempotencyKey: 'pay-7' });
      await waitFor(() => seen.length === 1, { what: 'the first delivery' });
      if (dedupe !== false) {
        await waitFor(async () => (await completedKeys(fx.client, stream)).has('pay-7'), { what: 'the completion mark' });
        const [bucket] = await completionBuckets(fx.client, stream);
        // At least the TTL (one day) from now, at most 1.5 x (the bucket is half the TTL wide).
        expect(await fx.client.pTTL(bucket)).toBeGreaterThan(86_000_000);
        expect(await fx.client.pTTL(bucket)).toBeLessThanOrEqual(1.5 * 86_400_000);
      }
      void first;
      await waitFor(async () => (await fx.client.exists(`rs:{${stream}}:idem:pay-7`)) === 0, { what: 'the producer mark to expire' });
      const again = await producer.publish(stream, 'again', { idempotencyKey: 'pay-7' });
      expect(again.added).toBe(true);
      await waitFor(() => seen.length === 2, { what: 'the second entry to be taken' });
      await waitFor(async () => ((await fx.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0] === 0, { what: 'both acked' });
      expect(handled.map((m) => m.data)).toEqual(expectedHandled);
      expect(seen).toEqual(outcomes);
      expect(handled[0].idempotencyKey).toBe('pay-7');
      expect(handled[0].messageId).toBe('pay-7');
    } finally {
      await consumer.stop();
      await producer.close();
    }
  });

  it('checks the completion marks of a read with one lookup per stream, not one per entry, and skips the completed', async () => {
    const stream = 'idem.batch';
    await fx.producer.publishMany(stream, Array.from({ length: 100 }, (_, n) => ({ data: n, options: { idempotencyKey: `k-${n}` } })));
    // Half of the keys were completed by this group before (another entry, same key).
    await markCompleted(fx.client, stream, Array.from({ length: 50 }, (_, i) => `k-${2 * i}`));
    await fx.client.sendCommand(['CONFIG', 'RESETSTAT']);
    const handled: number[] = [];
    const outcomes: HandledOutcome[] = [];
    const consumer = await fx.consumer(stream, (m) => void handled.push(m.data as number), { readCount: 100, concurrency: 200 });
    consumer.addObserver({ handled: (_s, outcome) => void outcomes.push(outcome) });
    await waitFor(() => outcomes.length === 100, { what: '100 entries taken' });
    expect(handled.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    expect(outcomes.filter((o) => o === 'skipped-duplicate')).toHaveLength(50);
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'all acked' });
    const { calls } = await commandStats(fx.client);
    // One lookup for the read (two if the entries arrived in two reads): one SMISMEMBER of the
    // one bucket that exists, one EXISTS per bucket asked (5); other EXISTS only from start-up checks.
    expect(calls('smismember')).toBeGreaterThanOrEqual(1);
    expect(calls('smismember')).toBeLessThanOrEqual(2);
    expect(calls('exists')).toBeLessThan(5 + 2 * 5);
    expect(calls('mget')).toBe(0);
  });
  it('keeps a mark for the whole TTL across bucket changes, and forgets it within 1.5 x the TTL', async () => {
    const stream = 'idem.buckets';
    const ttlMs = 2_000; // buckets of 1 s
    const handled: string[] = [];
    const seen: HandledOutcome[] = [];
    const consumer = await fx.consumer(stream, (m) => void handled.push(m.data as string), { dedupe: { ttlMs } });
    consumer.addObserver({ handled: (_s, outcome) => void seen.push(outcome) });
    // Entries with the same key as another program would write them (no producer dedupe in the way).
    const publish = (data: string) =>
      fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', 'data', JSON.stringify(data), 'id', 'k-1', 'ts', String(Date.now()), 'headers', JSON.stringify({ 'idempotency-key': 'k-1' })]);
    await publish('first');
    await waitFor(async () => (await completedKeys(fx.client, stream)).has('k-1'), { what: 'the completion mark' });
    const completedAt = Date.now();
    // The next bucket has begun: the mark is in an older one, still within the TTL.
    await waitFor(() => Math.floor(Date.now() / 1_000) > Math.floor(completedAt / 1_000), { what: 'the next bucket' });
    await publish('again, within the TTL');
    await waitFor(() => seen.length === 2, { what: 'the second entry' });
    expect(seen).toEqual(['success', 'skipped-duplicate']);
    await waitFor(async () => !(await completedKeys(fx.client, stream)).has('k-1'), { timeoutMs: 6_000, what: 'the mark to expire' });
    const forgottenAfter = Date.now() - completedAt;
    expect(forgottenAfter).toBeGreaterThanOrEqual(ttlMs - 50);
    expect(forgottenAfter).toBeLessThanOrEqual(1.5 * ttlMs + 1_000);
    await publish('after the TTL');
    await waitFor(() => seen.length === 3, { what: 'the third entry' });
    expect(handled).toEqual(['first', 'after the TTL']);
  });

  it.each([
    [true, 'skips', ['fresh']],
    [false, 'handles', ['done before the upgrade', 'fresh']],
  ])('with dedupe.legacyMarks %s, a key marked by redstream 0.1 (a string mark) it %s', async (legacyMarks, _verb, expected) => {
    const stream = `idem.legacy.${legacyMarks}`;
    await fx.client.set(`rs:{${stream}}:done:g:old-1`, '1-1', { PX: 60_000 });
    await fx.producer.publish(stream, 'done before the upgrade', { idempotencyKey: 'old-1' });
    await fx.producer.publish(stream, 'fresh', { idempotencyKey: 'new-1' });
    const handled: string[] = [];
    const seen: HandledOutcome[] = [];
    const consumer = await fx.consumer(stream, (m) => void handled.push(m.data as string), { dedupe: { legacyMarks } });
    consumer.addObserver({ handled: (_s, outcome) => void seen.push(outcome) });
    await waitFor(async () => seen.length === 2 && (await fx.pendingCount(stream)) === 0, { what: 'both entries taken and acked' });
    expect(handled).toEqual(expected);
    expect(await completedKeys(fx.client, stream)).toEqual(new Set(expected.includes('done before the upgrade') ? ['old-1', 'new-1'] : ['new-1']));
  });
});
