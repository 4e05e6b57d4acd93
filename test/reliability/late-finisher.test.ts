/**
 * DESIGN.md delivery semantics 3, the case a lease cannot prevent: a handler that lost its
 * entry to another consumer (its lease was not refreshed: event loop stalled, network
 * partition) finishes late. Its XACK acknowledges the entry for the whole group — the work
 * was done — and the second handler's XACK later is a no-op. Nothing fails and nothing is
 * left pending; the entry was handled twice, which at-least-once delivery allows.
 */
import { KeyBuilder, StreamConsumer, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('a late finisher whose entry was reclaimed', () => {
  const fx = useRedis();

  it('acks the entry for the group; the reclaiming consumer’s ack is then a no-op', async () => {
    const { redis, client, producer } = fx;
    const stream = 'late.finisher';
    const keys = new KeyBuilder().forStream(stream);
    const key = keys.stream;
    const pendingCount = async () => ((await client.sendCommand(['XPENDING', key, 'g'])) as [number])[0];
    const releaseA = deferred();
    const releaseB = deferred();
    const runs: string[] = [];
    // The consumer's own view of the entry: its lease keeper sets `lost` when a refresh finds it gone.
    let heldByB: (ReceivedMessage & { lost?: boolean }) | undefined;
    const loggerA = collectingLogger();
    const loggerB = collectingLogger();
    // A never refreshes its lease (claim off), standing in for a consumer whose refreshes stalled.
    const a = new StreamConsumer({ url: redis.url, group: 'g', consumer: 'a', claim: false, logger: loggerA }).subscribe(stream, async (m: ReceivedMessage) => {
      runs.push(`a:${m.deliveryCount}`);
      await releaseA.promise;
    });
    const b = new StreamConsumer({ url: redis.url, group: 'g', consumer: 'b', claim: { minIdleMs: 200, intervalMs: 50 }, logger: loggerB }).subscribe(
      stream,
      async (m: ReceivedMessage) => {
        runs.push(`b:${m.deliveryCount}`);
        heldByB = m;
        await releaseB.promise;
      },
    );
    try {
      await a.start();
      const { entryId } = await producer.publish(stream, { work: 'slow' });
      await waitFor(() => runs.length === 1, { what: 'a to start' });
      await b.start();
      await waitFor(() => runs.length === 2, { what: 'b to reclaim the entry' });
      expect(runs).toEqual(['a:1', 'b:2']);
      const owner = ((await client.sendCommand(['XPENDING', key, 'g', '-', '+', '10'])) as string[][])[0][1];
      expect(owner).toBe('b');

      // The late finisher acks: the entry is no longer pending for the group, although b owns it and still runs.
      releaseA.resolve();
      await waitFor(async () => (await pendingCount()) === 0, { what: "a's ack" });
      // b's next lease refresh finds the entry no longer pending on b.
      await waitFor(() => heldByB?.lost === true, { what: "b's lease refresh to notice" });
      releaseB.resolve();
      await waitFor(() => b.inFlight === 0, { what: 'b to finish' });
      // b's own ack went out and changed nothing; no error anywhere, nothing pending.
      await b.stop();
      expect(await pendingCount()).toBe(0);
      expect(await client.xLen(keys.deadLetter)).toBe(0);
      expect([...loggerA.lines, ...loggerB.lines].filter((l) => l.startsWith('error'))).toEqual([]);
      expect(runs).toEqual(['a:1', 'b:2']);
      expect(loggerB.lines).toContain(
        `warn entry ${entryId} of "${stream}" was claimed or acked by another consumer while its handler ran here; acked it, it may have been handled twice`,
      );
    } finally {
      releaseA.resolve();
      releaseB.resolve();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
