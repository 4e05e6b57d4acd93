/**
 * The Reclaimer on its own, against a real redis-server: what XAUTOCLAIM takes from a
 * silent consumer, the delivery counts it reports (HeldMessage's convention: counting this
 * delivery), deleted ids acked and reported, the cursor, and when the next pass is due.
 */
import { KeyBuilder, Reclaimer } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('Reclaimer', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  const claim = { minIdleMs: 200, intervalMs: 5_000, count: 10 };

  async function pendingOn(stream: string, consumer: string, count: number): Promise<string[]> {
    const key = keys.stream(stream);
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM']);
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) ids.push((await fx.client.sendCommand(['XADD', key, '*', 'data', String(i)])) as string);
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', String(count), 'STREAMS', key, '>']);
    return ids;
  }

  it('takes the entries of a silent consumer once they are idle past minIdleMs, counting this delivery', async () => {
    const stream = 'reclaimer.silent';
    const ids = await pendingOn(stream, 'dead', 3);
    const reclaimer = new Reclaimer(fx.producer.connection, 'g', 'live', claim);
    const key = keys.stream(stream);

    expect(await reclaimer.claim(key, 10)).toEqual({ entries: [], deletedIds: [] });
    const soonest = await reclaimer.nextClaimableInMs(key);
    expect(soonest).toBeGreaterThan(0);
    expect(soonest).toBeLessThanOrEqual(claim.minIdleMs);

    await waitFor(async () => (await reclaimer.nextClaimableInMs(key)) === 0, { what: 'the dead consumer idle past minIdleMs' });
    const { entries, deletedIds } = await reclaimer.claim(key, 10);
    expect(entries.map((e) => [e.entryId, e.deliveryCount])).toEqual(ids.map((id) => [id, 2]));
    expect(entries[0].fields).toEqual(['data', '0']);
    expect(deletedIds).toEqual([]);
    expect(reclaimer.passComplete(key)).toBe(true);
    // The live consumer owns them now; nobody else owns anything.
    expect(await reclaimer.nextClaimableInMs(key)).toBe(Infinity);
  });

  it('acks and reports ids deleted from the stream while pending, and walks a long pending list with its cursor', async () => {
    const stream = 'reclaimer.deleted';
    const ids = await pendingOn(stream, 'dead', 5);
    const key = keys.stream(stream);
    await fx.client.sendCommand(['XDEL', key, ids[1]]);
    const reclaimer = new Reclaimer(fx.producer.connection, 'g', 'live', { ...claim, minIdleMs: 100 });
    await waitFor(async () => (await reclaimer.nextClaimableInMs(key)) === 0, { what: 'the dead consumer idle past minIdleMs' });

    const first = await reclaimer.claim(key, 2);
    expect(reclaimer.passComplete(key)).toBe(false);
    const rest = await reclaimer.claim(key, 10);
    expect(reclaimer.passComplete(key)).toBe(true);
    expect([...first.entries, ...rest.entries].map((e) => e.entryId)).toEqual([ids[0], ids[2], ids[3], ids[4]]);
    expect([...first.deletedIds, ...rest.deletedIds]).toEqual([ids[1]]);
    // The deleted id was acked, not left pending to be reported again.
    const [count] = (await fx.client.sendCommand(['XPENDING', key, 'g'])) as [number];
    expect(count).toBe(4);
  });
});
