/**
 * DESIGN.md delivery semantics 2 and "bad input": retries with backoff, then one atomic
 * move to `rs:{stream}:dlq` with the failure details; unrecoverable errors skip retries;
 * undecodable entries are dead-lettered at once and the worker goes on.
 */
import { fieldsToObject, StreamConsumer, UnrecoverableError, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

type Entry = [string, string[]];

describe('retries and dead letters', () => {
  const fx = useRedis();
  const deadLetters = async (stream: string) =>
    ((await fx.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as Entry[]).map(([, fields]) => fieldsToObject(fields));
  const lag = async (stream: string) => {
    const [group] = (await fx.client.sendCommand(['XINFO', 'GROUPS', `rs:{${stream}}`])) as unknown[][];
    return group[group.indexOf('lag') + 1];
  };

  it('dead-letters each poison message exactly once after maxDeliveries, with backoff between tries, while the rest flow', async () => {
    const stream = 'dlq.poison';
    const deliveries = new Map<string, { at: number; count: number }[]>();
    const good = new Set<string>();
    const handler = (message: ReceivedMessage) => {
      const { n, poison } = message.data as { n: number; poison?: boolean };
      if (!poison) {
        good.add(message.entryId);
        return;
      }
      const list = deliveries.get(message.entryId) ?? [];
      list.push({ at: Date.now(), count: message.deliveryCount });
      deliveries.set(message.entryId, list);
      throw new Error(`poison ${n}`);
    };
    const options = { maxDeliveries: 4, backoff: { delayMs: 200, maxDelayMs: 60_000, jitter: true } };
    await fx.consumer(stream, handler, { ...options, consumer: 'c1' });
    await fx.consumer(stream, handler, { ...options, consumer: 'c2' });

    const messages = Array.from({ length: 2_000 }, (_, n) => ({ data: { n, poison: n % 200 === 7 } }));
    const published = await fx.producer.publishMany(stream, messages);
    const poisonIds = published.filter((_, n) => messages[n].data.poison).map((r) => r.entryId);
    expect(poisonIds).toHaveLength(10);

    await waitFor(async () => good.size === 1_990 && (await deadLetters(stream)).length === 10 && (await fx.pendingCount(stream)) === 0, {
      timeoutMs: 20_000,
      what: 'good messages handled and poison dead-lettered',
    });
    const letters = await deadLetters(stream);
    expect(letters.map((l) => l.dlqOriginalId).sort()).toEqual([...poisonIds].sort());
    for (const letter of letters) {
      const index = published.findIndex((r) => r.entryId === letter.dlqOriginalId);
      const original = fieldsToObject(
        ((await fx.client.sendCommand(['XRANGE', `rs:{${stream}}`, letter.dlqOriginalId, letter.dlqOriginalId])) as Entry[])[0]?.[1] ?? [],
      );
      expect(letter).toMatchObject({
        data: JSON.stringify(messages[index].data),
        dlqGroup: 'g',
        dlqDeliveries: '4',
        dlqReason: 'max-deliveries',
        dlqError: `poison ${index}`,
      });
      if (original.id !== undefined) expect(letter).toMatchObject(original);
      expect(['c1', 'c2']).toContain(letter.dlqConsumer);
      expect(letter.dlqStack).toContain(`Error: poison ${index}`);
      expect(Math.abs(Date.now() - Number(letter.dlqFailedAt))).toBeLessThan(30_000);
      expect(letter.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(Number(letter.ts)).toBeGreaterThan(0);
    }

    // Every poison message ran exactly maxDeliveries times, with backoff gaps: delivery k+1
    // comes no earlier than half of delayMs * 2^(k-1) (equal jitter) and not much later than all of it.
    const gaps: number[][] = [];
    for (const id of poisonIds) {
      const tries = deliveries.get(id)!;
      expect(tries.map((t) => t.count)).toEqual([1, 2, 3, 4]);
      gaps.push(tries.slice(1).map((t, k) => t.at - tries[k].at));
    }
    for (const row of gaps) {
      row.forEach((gap, k) => {
        const full = 200 * 2 ** k;
        expect(gap).toBeGreaterThanOrEqual(full / 2 - 5);
        expect(gap).toBeLessThanOrEqual(full + 750);
      });
    }
    console.info(`backoff gaps (ms) for delayMs 200, expected [100..200] [200..400] [400..800]: ${gaps.map((g) => g.join('/')).join('  ')}`);
    expect(typeof (await lag(stream))).toBe('number');
  });

  it('keeps an entry waiting for a retry whose backoff is longer than claim.minIdleMs on its consumer', async () => {
    const stream = 'dlq.long-backoff';
    const tries: { consumer: string; count: number; at: number }[] = [];
    const options = { claim: { minIdleMs: 200, intervalMs: 50 }, backoff: { delayMs: 1_500, maxDelayMs: 1_500, jitter: false }, maxDeliveries: 2 };
    const failing = (consumer: string) => (message: ReceivedMessage) => {
      tries.push({ consumer, count: message.deliveryCount, at: Date.now() });
      throw new Error('try later');
    };
    await fx.consumer(stream, failing('a'), { ...options, consumer: 'a' });
    await fx.producer.publish(stream, 'retry me');
    await waitFor(() => tries.length === 1, { what: 'the first delivery' });
    await fx.consumer(stream, failing('b'), { ...options, consumer: 'b' });
    await waitFor(async () => (await deadLetters(stream)).length === 1, { what: 'the dead letter' });
    expect(tries.map(({ consumer, count }) => [consumer, count])).toEqual([['a', 1], ['a', 2]]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(1_500);
  });

  it('skips retries for UnrecoverableError and for errors the isUnrecoverable predicate names; honours per-handler maxDeliveries', async () => {
    const stream = 'dlq.unrecoverable';
    const calls = new Map<number, number>();
    await fx.consumer(
      stream,
      (message) => {
        const { n } = message.data as { n: number };
        calls.set(n, (calls.get(n) ?? 0) + 1);
        if (n === 0) throw new UnrecoverableError('bad order');
        if (n === 1) throw new RangeError('amount out of range');
        throw new Error('flaky');
      },
      { isUnrecoverable: (error) => error instanceof RangeError, backoff: { delayMs: 10, maxDelayMs: 10, jitter: false } },
      { maxDeliveries: 2 },
    );
    await fx.producer.publishMany(stream, [0, 1, 2].map((n) => ({ data: { n } })));
    await waitFor(async () => (await deadLetters(stream)).length === 3, { what: 'three dead letters' });
    const byData = Object.fromEntries((await deadLetters(stream)).map((l) => [JSON.parse(l.data).n, l]));
    expect(byData[0]).toMatchObject({ dlqReason: 'unrecoverable', dlqDeliveries: '1', dlqError: 'bad order' });
    expect(byData[1]).toMatchObject({ dlqReason: 'unrecoverable', dlqDeliveries: '1', dlqError: 'amount out of range' });
    expect(byData[2]).toMatchObject({ dlqReason: 'max-deliveries', dlqDeliveries: '2', dlqError: 'flaky' });
    expect([...calls.entries()].sort()).toEqual([[0, 1], [1, 1], [2, 2]]);
  });

  it('dead-letters a handler that times out on its last delivery with reason timeout', async () => {
    const stream = 'dlq.timeout';
    await fx.consumer(
      stream,
      () => new Promise(() => undefined),
      { backoff: { delayMs: 10, maxDelayMs: 10, jitter: false }, shutdownTimeoutMs: 100 },
      { maxDeliveries: 2, timeoutMs: 50 },
    );
    await fx.producer.publish(stream, { hangs: true });
    await waitFor(async () => (await deadLetters(stream)).length === 1, { what: 'the timed-out entry dead-lettered' });
    expect((await deadLetters(stream))[0]).toMatchObject({ dlqReason: 'timeout', dlqDeliveries: '2' });
    expect((await deadLetters(stream))[0].dlqError).toMatch(/50 ms/);
  });

  it('keeps the slot of a timed-out handler until it really ends, so concurrency stays true', async () => {
    const stream = 'dlq.timeout-slot';
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const starts: number[] = [];
    await fx.consumer(
      stream,
      (message) => {
        running += 1;
        peak = Math.max(peak, running);
        starts.push(message.deliveryCount);
        return new Promise<void>((resolve) => releases.push(resolve)).finally(() => {
          running -= 1;
        });
      },
      { concurrency: 1, backoff: { delayMs: 10, maxDelayMs: 10, jitter: false } },
      { maxDeliveries: 3, timeoutMs: 50 },
    );
    await fx.producer.publish(stream, { slow: true });
    await waitFor(() => starts.length === 1, { what: 'first delivery' });
    // Well past the timeout and the backoff, the retry must still wait for the only slot.
    await waitFor(async () => (await fx.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g', '-', '+', '1']) as unknown[][])[0]?.[2] as number > 300, {
      what: 'the entry idle for a while',
    });
    expect(starts).toEqual([1]);
    releases.shift()!();
    await waitFor(() => starts.length === 2, { what: 'the retry once the slot is free' });
    expect(starts).toEqual([1, 2]);
    expect(peak).toBe(1);
    releases.splice(0).forEach((release) => release());
  });

  it('dead-letters an entry that crashed its workers more than maxDeliveries times without running it again', async () => {
    const stream = 'dlq.crash-loop';
    const key = `rs:{${stream}}`;
    const { entryId } = await fx.producer.publish(stream, { kills: 'every worker' });
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    // Six workers took it and died without acking: delivery count 6 (> maxDeliveries 5).
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'dead-1', 'STREAMS', key, '>']);
    for (let i = 2; i <= 6; i += 1) await fx.client.sendCommand(['XCLAIM', key, 'g', `dead-${i}`, '0', entryId]);
    let ran = 0;
    await fx.consumer(stream, () => void (ran += 1), { claim: { minIdleMs: 100, intervalMs: 50 } });
    await waitFor(async () => (await deadLetters(stream)).length === 1, { what: 'the crash-looping entry dead-lettered' });
    expect((await deadLetters(stream))[0]).toMatchObject({ dlqOriginalId: entryId, dlqReason: 'max-deliveries', dlqDeliveries: '7' });
    expect(ran).toBe(0);
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'nothing pending' });
  });

  it('bounds the dead-letter stream by deadLetter.maxLen and counts what the cap dropped', async () => {
    const stream = 'dlq.capped';
    let dropped = 0;
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', logger: collectingLogger(), deadLetter: { maxLen: 100 } }).subscribe(stream, () => {
      throw new UnrecoverableError('no');
    });
    consumer.addObserver({ deadLetterDropped: (_stream, count) => void (dropped += count) });
    await consumer.start();
    await fx.producer.publishMany(stream, Array.from({ length: 350 }, (_, n) => ({ data: n })));
    await waitFor(async () => (await lag(stream)) === 0 && (await fx.pendingCount(stream)) === 0, { what: 'all read and dead-lettered' });
    await consumer.stop();
    const length = await fx.client.xLen(`rs:{${stream}}:dlq`);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(350);
    expect(dropped).toBe(350 - length);
  });

  describe('malformed entries', () => {
    const stream = 'dlq.malformed';
    const key = `rs:{${stream}}`;
    const handled: ReceivedMessage[] = [];
    const huge = 'x'.repeat(8 * 1024 * 1024);

    beforeEach(async () => {
      // Above the 8 MB values: these cases are about decoding (maxPayloadBytes: test/production/payload-size.test.ts).
      await fx.consumer(stream, (message) => void handled.push(message), { maxPayloadBytes: 16 * 1024 * 1024 });
    });

    it.each([
      ['missing data', ['id', 'm1', 'ts', '1'], /no `data` field/],
      ['invalid JSON', ['data', '{"unterminated', 'id', 'm2', 'ts', '1'], /`data` is not valid/],
      ['headers that are not a JSON object', ['data', '1', 'id', 'm3', 'ts', '1', 'headers', '[1]'], /`headers` must be a JSON object/],
      ['a very large value that is not JSON', ['data', huge, 'id', 'm4', 'ts', '1'], /`data` is not valid/],
    ])('dead-letters an entry with %s as decode-error within a second and keeps going', async (_case, fields, error) => {
      const addedAt = Date.now();
      const entryId = (await fx.client.sendCommand(['XADD', key, '*', ...(fields as string[])])) as string;
      const letter = await waitFor(async () => (await deadLetters(stream)).find((l) => l.dlqOriginalId === entryId), {
        intervalMs: 5,
        what: 'the dead letter',
      });
      const elapsed = Date.now() - addedAt;
      expect(elapsed).toBeLessThan(1_000);
      expect(letter).toMatchObject({ ...fieldsToObject(fields as string[]), dlqReason: 'decode-error', dlqDeliveries: '1', dlqGroup: 'g' });
      expect(letter.dlqError).toMatch(error as RegExp);
      expect(letter.dlqError.length).toBeLessThan(1_000);
      const { entryId: next } = await fx.producer.publish(stream, { after: entryId });
      await waitFor(() => handled.some((m) => m.entryId === next), { what: 'the next good message' });
      expect(handled.some((m) => m.entryId === entryId)).toBe(false);
      await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'nothing pending' });
    });

    it('delivers entries with unknown extra fields and very large valid values normally', async () => {
      const extra = (await fx.client.sendCommand(['XADD', key, '*', 'data', '{"a":1}', 'id', 'm5', 'ts', '1', 'source', 'legacy-app', 'x-shard', '7'])) as string;
      const large = (await fx.client.sendCommand(['XADD', key, '*', 'data', JSON.stringify(huge), 'id', 'm6', 'ts', '1'])) as string;
      await waitFor(() => handled.some((m) => m.entryId === large), { what: 'the large message' });
      const withExtra = handled.find((m) => m.entryId === extra)!;
      expect(withExtra.data).toEqual({ a: 1 });
      expect(fieldsToObject(withExtra.fields)).toMatchObject({ source: 'legacy-app', 'x-shard': '7' });
      expect((handled.find((m) => m.entryId === large)!.data as string).length).toBe(huge.length);
      await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'both acked' });
      expect(typeof (await lag(stream))).toBe('number');
    });
  });

  it('counts a dead letter once it is in the dead-letter stream: a write that failed is not counted, the one that lands later is', async () => {
    const stream = 'dlq.counted';
    const dlqKey = `rs:{${stream}}:dlq`;
    // Another program left a string under the dead-letter key: the XADD fails with WRONGTYPE.
    await fx.client.set(dlqKey, 'not a stream');
    const outcomes: string[] = [];
    const errors: string[] = [];
    const consumer = await fx.consumer(
      stream,
      () => {
        throw new UnrecoverableError('poison');
      },
      { claim: { minIdleMs: 300, intervalMs: 100 } },
    );
    consumer.addObserver({ handled: (_stream, outcome) => void outcomes.push(outcome) });
    consumer.on('consumer-error', (error: Error, source: string) => void errors.push(`${source}: ${error.message}`));
    await fx.producer.publish(stream, { n: 1 });
    await waitFor(() => errors.some((e) => e.startsWith('dead-letter') && e.includes('WRONGTYPE')), { what: 'the failed dead-letter write' });
    expect(outcomes).toEqual([]);
    expect(await fx.pendingCount(stream)).toBe(1);
    await fx.client.del(dlqKey);
    // Still pending: reclaimed once idle past minIdleMs, run again and dead-lettered for good.
    await waitFor(async () => (await deadLetters(stream)).length === 1, { timeoutMs: 10_000, what: 'the dead letter' });
    await waitFor(() => outcomes.length === 1, { what: 'the outcome' });
    expect(outcomes).toEqual(['dead-lettered']);
    expect(await fx.pendingCount(stream)).toBe(0);
  });
});
