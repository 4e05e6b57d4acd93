/**
 * Batch handlers (issue 14) on one redis-server, with the core consumer: batches never exceed
 * `maxSize` and count as one running handler; an entry read waits at most `maxWaitMs` for its
 * batch; a failed batch is retried together and dead-lettered per entry; a BatchFailure retries
 * only the entries it names; completed idempotency keys are skipped before batching; a batch
 * times out as a whole; stop() hands back entries still in line; entries in line keep their
 * leases; a paused group starts no batch; bad options are refused.
 */
import {
  BatchFailure, fieldsToObject, InvalidOptionError, KeyBuilder, pauseGroup, resumeGroup, StreamConsumer, UnrecoverableError,
  type BatchHandler, type ConsumerOptions, type HandlerOptions, type ReceivedMessage,
} from '@redstream/core';
import { completedKeys } from '../support/completion-marks.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { simulatedWork } from '../support/simulated-work.js';
import { holdsFor, waitFor } from '../support/wait-for.js';

type Entry = [string, string[]];
interface Call {
  at: number;
  entryIds: string[];
  deliveries: number[];
  data: unknown[];
}

describe('batch handlers', () => {
  const consumers: StreamConsumer[] = [];
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  const fx = useRedis();
  /** A started consumer in group `g` whose handler for `stream` takes batches (`handlerOptions.batch`). */
  const batchConsumer = async (
    stream: string,
    handler: BatchHandler,
    options: Partial<ConsumerOptions>,
    handlerOptions: HandlerOptions & { batch: object },
    setUp: (consumer: StreamConsumer) => void = () => undefined,
  ) => {
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', logger: collectingLogger(), ...options }).subscribe(stream, handler, handlerOptions);
    setUp(consumer);
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  };
  const deadLetters = async (stream: string) =>
    ((await fx.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as Entry[]).map(([, fields]) => fieldsToObject(fields));
  const record = (calls: Call[], messages: readonly ReceivedMessage[]) =>
    calls.push({ at: Date.now(), entryIds: messages.map((m) => m.entryId), deliveries: messages.map((m) => m.deliveryCount), data: messages.map((m) => m.data) });
  const publish = async (stream: string, count: number, data: (i: number) => unknown = (i) => ({ n: i })) => {
    const ids: string[] = [];
    for (let sent = 0; sent < count; sent += 500) {
      const results = await fx.producer.publishMany(stream, Array.from({ length: Math.min(500, count - sent) }, (_, i) => ({ data: data(sent + i) })));
      ids.push(...results.map((r) => r.entryId));
    }
    return ids;
  };

  it('never calls the handler with more than maxSize, and counts a batch as one running handler', async () => {
    const stream = 'batch.sizes';
    const ids = await publish(stream, 2_050);
    const calls: Call[] = [];
    let running = 0;
    let maxRunning = 0;
    const outcomes: string[] = [];
    const consumer = await batchConsumer(
      stream,
      async (messages: readonly ReceivedMessage[]) => {
        record(calls, messages);
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await simulatedWork(5);
        running -= 1;
      },
      { concurrency: 4, prefetch: 512 },
      { concurrency: 2, batch: { maxSize: 100, maxWaitMs: 50 } },
      (c) => c.addObserver({ handled: (_stream, outcome) => void outcomes.push(outcome) }),
    );
    expect(consumer.streams).toEqual([stream]);
    await waitFor(async () => calls.reduce((n, c) => n + c.entryIds.length, 0) >= 2_050 && (await fx.pendingCount(stream)) === 0, { what: 'all handled and acked' });
    const sizes = calls.map((c) => c.entryIds.length);
    console.info(`2,050 entries, maxSize 100: ${calls.length} batches, sizes ${[...new Set(sizes)].sort((a, b) => b - a).join('/')}, at most ${maxRunning} running`);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(sizes.filter((n) => n === 100).length).toBeGreaterThanOrEqual(15);
    expect(calls.flatMap((c) => c.entryIds).sort()).toEqual([...ids].sort());
    expect(maxRunning).toBe(2);
    // Metrics stay per message.
    expect(outcomes.length).toBe(2_050);
    expect(new Set(outcomes)).toEqual(new Set(['success']));
  });

  it('starts a batch at most maxWaitMs after its oldest entry was read, also while entries keep trickling in', async () => {
    const stream = 'batch.wait';
    const maxWaitMs = 200;
    const calls: Call[] = [];
    await batchConsumer(stream, (messages) => void record(calls, messages), { concurrency: 4, prefetch: 256 }, { batch: { maxSize: 100, maxWaitMs } });
    // An idle consumer blocks in XREADGROUP: it reads each entry as soon as it is published.
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = calls.length;
      const sentAt = Date.now();
      await publish(stream, 5);
      await waitFor(() => calls.length > before, { what: `round ${round}: the batch` });
      expect(calls[before].entryIds).toHaveLength(5);
      waits.push(calls[before].at - sentAt);
    }
    // One entry every 20 ms: the batch goes when the first has waited maxWaitMs, not when the line stops growing.
    const before = calls.length;
    const firstAt = Date.now();
    const trickle = (async () => {
      for (let i = 0; i < 25; i++) {
        await fx.producer.publish(stream, { trickle: i });
        await simulatedWork(20);
      }
    })();
    await waitFor(() => calls.length > before, { what: 'the first trickle batch' });
    const trickleWait = calls[before].at - firstAt;
    await trickle;
    await waitFor(() => calls.reduce((n, c) => n + c.entryIds.length, 0) === 40, { what: 'every trickled entry' });
    console.info(`maxWaitMs ${maxWaitMs}: 5-entry batches started ${waits.join(', ')} ms after the publish; a trickle's first batch after ${trickleWait} ms with ${calls[before].entryIds.length} entries`);
    for (const wait of waits) {
      expect(wait).toBeGreaterThanOrEqual(maxWaitMs - 5);
      expect(wait).toBeLessThan(maxWaitMs + 100);
    }
    expect(trickleWait).toBeLessThan(maxWaitMs + 100);
    expect(calls[before].entryIds.length).toBeGreaterThan(1);
    expect(calls[before].entryIds.length).toBeLessThan(25);
  });

  it('retries a failed batch together, its delivery counts rising, and dead-letters each entry past maxDeliveries', async () => {
    const stream = 'batch.fail';
    const ids = await publish(stream, 10);
    const calls: Call[] = [];
    await batchConsumer(
      stream,
      (messages: readonly ReceivedMessage[]) => {
        record(calls, messages);
        throw new Error('bulk insert failed');
      },
      { maxDeliveries: 3, backoff: { delayMs: 20, maxDelayMs: 100 }, claim: false },
      { batch: { maxSize: 100, maxWaitMs: 50 } },
    );
    await waitFor(async () => (await deadLetters(stream)).length === 10 && (await fx.pendingCount(stream)) === 0, { what: 'ten dead letters' });
    expect(calls.map((c) => c.entryIds.length)).toEqual([10, 10, 10]);
    expect(calls.map((c) => [...new Set(c.deliveries)])).toEqual([[1], [2], [3]]);
    const letters = await deadLetters(stream);
    expect(letters.map((l) => l.dlqOriginalId).sort()).toEqual([...ids].sort());
    for (const letter of letters) expect(letter).toMatchObject({ dlqReason: 'max-deliveries', dlqDeliveries: '3', dlqError: 'bulk insert failed', dlqGroup: 'g' });
  });

  it('retries only the entries a BatchFailure names (thrown or returned), with their own errors, and acks the rest', async () => {
    const stream = 'batch.partial';
    const ids = await publish(stream, 20, (i) => ({ n: i, bad: i % 5 === 0 }));
    const calls: Call[] = [];
    await batchConsumer(
      stream,
      (messages: readonly ReceivedMessage[]) => {
        record(calls, messages);
        const bad = messages.filter((m) => (m.data as { bad: boolean }).bad);
        if (bad.length === 0) return undefined;
        const failure = new BatchFailure(new Map(bad.map((m) => [m.entryId, new Error(`row ${(m.data as { n: number }).n} refused`)])));
        // Every other call returns the failure instead of throwing it.
        if (calls.length % 2 === 0) return failure;
        throw failure;
      },
      { maxDeliveries: 3, backoff: { delayMs: 20, maxDelayMs: 100 }, claim: false },
      { batch: { maxSize: 100, maxWaitMs: 50 } },
    );
    await waitFor(async () => (await deadLetters(stream)).length === 4 && (await fx.pendingCount(stream)) === 0, { what: 'four dead letters' });
    const badIds = ids.filter((_, i) => i % 5 === 0);
    expect(calls[0].entryIds).toHaveLength(20);
    expect(calls.slice(1).map((c) => [...c.entryIds].sort())).toEqual([[...badIds].sort(), [...badIds].sort()]);
    expect(calls.slice(1).map((c) => [...new Set(c.deliveries)])).toEqual([[2], [3]]);
    const letters = await deadLetters(stream);
    expect(letters.map((l) => l.dlqOriginalId).sort()).toEqual([...badIds].sort());
    for (const letter of letters) expect(letter.dlqError).toBe(`row ${ids.indexOf(letter.dlqOriginalId)} refused`);
  });

  it('retries the whole batch when a BatchFailure names an id not in it, and dead-letters at once on UnrecoverableError', async () => {
    const stream = 'batch.mismatch';
    await publish(stream, 3);
    const calls: Call[] = [];
    await batchConsumer(
      stream,
      (messages: readonly ReceivedMessage[]) => {
        record(calls, messages);
        if (messages[0].deliveryCount === 1) throw new BatchFailure(['db-row-17']);
        throw new UnrecoverableError('schema mismatch');
      },
      { backoff: { delayMs: 10, maxDelayMs: 50 }, claim: false },
      { batch: { maxSize: 10, maxWaitMs: 20 } },
    );
    await waitFor(async () => (await deadLetters(stream)).length === 3, { what: 'three dead letters' });
    expect(calls.map((c) => c.entryIds.length)).toEqual([3, 3]);
    for (const letter of await deadLetters(stream)) expect(letter).toMatchObject({ dlqReason: 'unrecoverable', dlqDeliveries: '2' });
  });

  it('skips and acks entries whose idempotency key the group completed, before batching', async () => {
    const stream = 'batch.dedupe';
    const first = await fx.producer.publishMany(stream, Array.from({ length: 5 }, (_, i) => ({ data: i, options: { idempotencyKey: `k${i}` } })));
    const calls: Call[] = [];
    const handler = (messages: readonly ReceivedMessage[]) => void record(calls, messages);
    await batchConsumer(stream, handler, {}, { batch: { maxSize: 10, maxWaitMs: 20 } });
    await waitFor(async () => calls.length === 1 && (await fx.pendingCount(stream)) === 0, { what: 'the first batch acked' });
    await waitFor(async () => (await completedKeys(fx.client, stream)).has('k4'), { what: 'the completion marks' });
    // The same keys again, past the producer's dedupe (a producer without it, as another program would write them).
    for (let i = 0; i < 5; i++) await fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', 'data', String(i), 'id', `k${i}`, 'ts', String(Date.now()), 'headers', JSON.stringify({ 'idempotency-key': `k${i}` })]);
    await fx.producer.publish(stream, 'fresh');
    await waitFor(async () => calls.length === 2 && (await fx.pendingCount(stream)) === 0, { what: 'the second batch' });
    expect(calls[0].entryIds.sort()).toEqual(first.map((r) => r.entryId).sort());
    expect(calls[1].data).toEqual(['fresh']);
  });

  it('times a batch out as a whole: every entry retried, the batch keeps its handler until it settles', async () => {
    const stream = 'batch.timeout';
    await publish(stream, 4);
    const calls: Call[] = [];
    await batchConsumer(
      stream,
      async (messages: readonly ReceivedMessage[]) => {
        record(calls, messages);
        if (messages[0].deliveryCount === 1) await simulatedWork(400);
      },
      { backoff: { delayMs: 10, maxDelayMs: 50 }, claim: false },
      { timeoutMs: 100, concurrency: 1, batch: { maxSize: 10, maxWaitMs: 20 } },
    );
    await waitFor(async () => calls.length === 2 && (await fx.pendingCount(stream)) === 0, { what: 'the retried batch acked' });
    expect(calls.map((c) => [...new Set(c.deliveries)])).toEqual([[1], [2]]);
    // concurrency 1: the retry could only start once the timed-out handler had settled.
    expect(calls[1].at - calls[0].at).toBeGreaterThanOrEqual(390);
  });

  it('stop() hands back the entries still waiting for their batch to fill, uncounted, for another consumer', async () => {
    const stream = 'batch.handback';
    const calls: Call[] = [];
    const consumer = await batchConsumer(stream, (messages: readonly ReceivedMessage[]) => void record(calls, messages), { consumer: 'a' }, { batch: { maxSize: 100, maxWaitMs: 60_000 } });
    const ids = await publish(stream, 7);
    await waitFor(() => consumer.inFlight === 7, { what: 'seven entries in line' });
    await consumer.stop();
    expect(calls).toEqual([]);
    const other: Call[] = [];
    await batchConsumer(stream, (messages: readonly ReceivedMessage[]) => void record(other, messages), { consumer: 'b', claim: { minIdleMs: 1_000, intervalMs: 100 } }, { batch: { maxSize: 100, maxWaitMs: 20 } });
    await waitFor(async () => other.flatMap((c) => c.entryIds).length === 7 && (await fx.pendingCount(stream)) === 0, { what: "b handles a's entries" });
    expect(other.flatMap((c) => c.entryIds).sort()).toEqual([...ids].sort());
    expect(other.flatMap((c) => c.deliveries).every((n) => n === 2)).toBe(true);
  });

  it('keeps the leases of entries waiting in line longer than claim.minIdleMs: another consumer reclaims none of them', async () => {
    const stream = 'batch.lease';
    const claim = { minIdleMs: 300, intervalMs: 100 };
    const byA: Call[] = [];
    const byB: Call[] = [];
    const a = await batchConsumer(stream, (messages) => void record(byA, messages), { consumer: 'a', claim }, { batch: { maxSize: 100, maxWaitMs: 1_500 } });
    const ids = await publish(stream, 5);
    await waitFor(() => a.inFlight === 5, { what: 'a holds the five in line' });
    await batchConsumer(stream, (messages) => void record(byB, messages), { consumer: 'b', claim }, { batch: { maxSize: 100, maxWaitMs: 20 } });
    // 1.5 s in line: five times minIdleMs, with b's reclaim pass every 100 ms.
    await waitFor(() => byA.length === 1, { timeoutMs: 5_000, what: "a's batch" });
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'all acked' });
    expect(byA[0].entryIds.sort()).toEqual([...ids].sort());
    expect(byA[0].deliveries).toEqual([1, 1, 1, 1, 1]);
    expect(byB).toEqual([]);
  });

  it('starts no batch of a paused group: entries in line wait (held) and go after resume', async () => {
    const stream = 'batch.pause';
    const calls: Call[] = [];
    const consumer = await batchConsumer(stream, (messages) => void record(calls, messages), {}, { batch: { maxSize: 100, maxWaitMs: 1_000 } });
    const ids = await publish(stream, 5);
    await waitFor(() => consumer.inFlight === 5, { what: 'five entries in line' });
    await pauseGroup(consumer.connection, new KeyBuilder(), stream, 'g');
    // Past the batch's maxWaitMs, twice over: it is due, but the group is paused.
    await holdsFor(() => calls.length === 0 && consumer.inFlight === 5, { durationMs: 2_000, what: 'no batch while paused' });
    await resumeGroup(consumer.connection, new KeyBuilder(), stream, 'g');
    await waitFor(async () => calls.length === 1 && (await fx.pendingCount(stream)) === 0, { what: 'the batch after resume' });
    expect(calls[0].entryIds.sort()).toEqual([...ids].sort());
    expect(calls[0].deliveries).toEqual([1, 1, 1, 1, 1]);
  });

  it('refuses bad batch options at subscribe, naming the option, the value and the range', () => {
    const consumer = () => new StreamConsumer({ url: fx.redis.url, group: 'g', concurrency: 4, prefetch: 64, logger: collectingLogger() });
    const handler = () => undefined;
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { maxSize: 65, maxWaitMs: 10 } })).toThrow(InvalidOptionError);
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { maxSize: 65, maxWaitMs: 10 } })).toThrow(
      /handler "batch.bad" batch.maxSize.*65.*prefetch \(64\)/,
    );
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { maxSize: 0, maxWaitMs: 10 } })).toThrow(/batch.maxSize.*between 1 and 64/);
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { maxSize: 10, maxWaitMs: 0 } })).toThrow(/batch.maxWaitMs.*0/);
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { maxSize: 1.5 } })).toThrow(/batch.maxSize/);
    expect(() => consumer().subscribe('batch.bad', handler, { batch: { size: 10 } as never })).toThrow(/size/);
    // Without maxSize: 100, or the prefetch when that is lower.
    expect(() => consumer().subscribe('batch.ok', handler, { batch: {} })).not.toThrow();
  });
});
