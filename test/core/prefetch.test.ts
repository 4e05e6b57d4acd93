import { KeyBuilder, type ReceivedMessage } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { completedKeys } from '../support/completion-marks.js';
import { useRedis } from '../support/redis-fixture.js';
import { holdsFor, waitFor } from '../support/wait-for.js';

/** A handler whose calls block until released, recording how many run and are held at once. */
function gatedHandler(held: () => number) {
  const gates: (() => void)[] = [];
  const state = { running: 0, maxRunning: 0, maxHeld: 0, handled: [] as string[], gates };
  const handle = async (m: ReceivedMessage) => {
    state.running += 1;
    state.maxRunning = Math.max(state.maxRunning, state.running);
    state.maxHeld = Math.max(state.maxHeld, held());
    await new Promise<void>((resolve) => gates.push(resolve));
    state.running -= 1;
    state.handled.push(m.entryId);
  };
  const releaseAll = () => {
    for (const open of gates.splice(0)) open();
  };
  return { state, handle, releaseAll };
}

describe('prefetch: entries held apart from handlers running', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  const pendingOf = async (stream: string, consumer: string) =>
    (await fx.client.sendCommand(['XPENDING', keys.stream(stream), 'g', '-', '+', '10000', consumer])) as [string, string, number, number][];

  it.each([
    ['the consumer limit', 'pf.consumer', undefined, 5, false],
    ['a handler limit below it', 'pf.handler', 2, 2, false],
    ['keyed entries, their completion marks looked up first', 'pf.keyed', undefined, 5, true],
  ])('never runs more than concurrency (%s) nor holds more than prefetch', async (_, stream, handlerConcurrency, expectedRunning, keyed) => {
    let consumer: { inFlight: number } | undefined;
    const gated = gatedHandler(() => consumer?.inFlight ?? 0);
    await fx.producer.publishMany(stream, Array.from({ length: 300 }, (_, i) => ({ data: i, options: keyed ? { idempotencyKey: `k-${i}` } : undefined })));
    consumer = await fx.consumer(stream, gated.handle, { consumer: 'a', concurrency: 5, prefetch: 20, logger: quietLogger }, { concurrency: handlerConcurrency });
    for (let round = 0; gated.state.handled.length < 300; round++) {
      // Stalled with every handler blocked: exactly `prefetch` held, no ack in flight, so XPENDING is exact.
      // Redis counts a read as pending before the worker has parsed its reply: wait for both.
      const remaining = 300 - gated.state.handled.length;
      const stalled = async () =>
        gated.state.running === Math.min(expectedRunning, remaining) &&
        consumer!.inFlight === Math.min(20, remaining) &&
        (await pendingOf(stream, 'a')).length === Math.min(20, remaining);
      await waitFor(stalled, { what: `round ${round}: handlers running, held and XPENDING at their limits` });
      // And nothing more is read or started while every handler is blocked.
      await holdsFor(stalled, { durationMs: round === 0 ? 300 : 30, what: `round ${round}: stays at the limits` });
      gated.releaseAll();
      await waitFor(() => gated.state.handled.length >= 300 - remaining + Math.min(expectedRunning, remaining), { what: `round ${round}: released` });
    }
    expect(gated.state.maxRunning).toBe(expectedRunning);
    expect(gated.state.maxHeld).toBeLessThanOrEqual(20);
    expect(new Set(gated.state.handled).size).toBe(300);
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'all acked' });
    if (keyed) {
      expect(await completedKeys(fx.client, stream)).toEqual(new Set(Array.from({ length: 300 }, (_, i) => `k-${i}`)));
    }
  });

  it('keeps the leases of entries waiting for a handler slot longer than claim.minIdleMs', async () => {
    const minIdleMs = 300;
    const claim = { minIdleMs, intervalMs: 100 };
    let a: { inFlight: number } | undefined;
    const gated = gatedHandler(() => a?.inFlight ?? 0);
    await fx.producer.publishMany('pf.lease', Array.from({ length: 30 }, (_, i) => ({ data: i })));
    a = await fx.consumer('pf.lease', gated.handle, { consumer: 'a', concurrency: 1, prefetch: 10, claim, logger: quietLogger });
    await waitFor(async () => (await pendingOf('pf.lease', 'a')).length === 10, { what: 'a holds its prefetch' });
    const heldByA = (await pendingOf('pf.lease', 'a')).map((row) => row[0]);
    const byB: string[] = [];
    await fx.consumer('pf.lease', (m) => void byB.push(m.entryId), { consumer: 'b', claim, logger: quietLogger });
    // B handles what A never read; A's nine waiting entries outlive minIdleMs several times over.
    await waitFor(() => byB.length === 20, { what: 'b handles the unread rest' });
    const heldSince = Date.now();
    await waitFor(() => Date.now() - heldSince > 4 * minIdleMs, { what: 'several minIdleMs with a reclaimer running' });
    const pending = await pendingOf('pf.lease', 'a');
    expect(pending.map((row) => row[0]).sort()).toEqual([...heldByA].sort());
    for (const [, , idle, deliveries] of pending) {
      expect(deliveries).toBe(1);
      expect(idle).toBeLessThan(minIdleMs);
    }
    expect(byB.filter((id) => heldByA.includes(id))).toEqual([]);
    // Released one by one, A handles all ten it held.
    while (gated.state.handled.length < 10) {
      gated.releaseAll();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect([...gated.state.handled].sort()).toEqual([...heldByA].sort());
    expect(byB.filter((id) => heldByA.includes(id))).toEqual([]);
  });

  it.each([
    ['', 'pf.stop', false],
    [' (keyed entries, dedupe on)', 'pf.stop.keyed', true],
  ])('on stop, hands 500 unstarted entries back at once; another consumer handles them, none twice%s', async (_, stream, keyed) => {
    let a: { inFlight: number; stop(): Promise<void> } | undefined;
    const gated = gatedHandler(() => a?.inFlight ?? 0);
    await fx.producer.publishMany(stream, Array.from({ length: 502 }, (_, i) => ({ data: i, options: keyed ? { idempotencyKey: `k-${i}` } : undefined })));
    a = await fx.consumer(stream, gated.handle, { consumer: 'a', concurrency: 2, prefetch: 502, shutdownTimeoutMs: 5_000, logger: quietLogger });
    await waitFor(() => a!.inFlight === 502 && gated.state.running === 2, { what: 'a holds 502, runs 2' });
    const byB: string[] = [];
    // B's minIdleMs is far longer than the test: only a hand-back makes A's entries claimable for it.
    await fx.consumer(stream, (m) => void byB.push(m.entryId), { consumer: 'b', claim: { minIdleMs: 600_000, intervalMs: 200 }, logger: quietLogger });
    const stopStarted = Date.now();
    const stopped = a.stop();
    gated.releaseAll(); // the two running handlers finish during the shutdown
    await stopped;
    const stopMs = Date.now() - stopStarted;
    expect(stopMs).toBeLessThan(5_000);
    expect(gated.state.handled).toHaveLength(2);
    await waitFor(() => byB.length >= 500, { timeoutMs: 10_000, what: 'b handles the 500 handed back' });
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'all acked' });
    const all = [...gated.state.handled, ...byB];
    expect(all).toHaveLength(502);
    expect(new Set(all).size).toBe(502);
    if (keyed) {
      expect(await completedKeys(fx.client, stream)).toEqual(new Set(Array.from({ length: 502 }, (_, i) => `k-${i}`)));
    }
  });
});
