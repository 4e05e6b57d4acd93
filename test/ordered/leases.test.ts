/**
 * The Redis side of ordered consumption on its own, against a real redis-server: the
 * membership heartbeat (members drop out after their TTL, leave at once), partition leases
 * with fencing tokens (one holder, renewals only with the holder's token, a new token after
 * expiry, release only by the holder) and the fenced takeover claim of a partition's
 * pending entries, oldest first.
 */
import { KeyBuilder, LuaSteps, Membership, PartitionLeases } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('ordered consumption: membership, leases, takeover claim', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('lists the live members; a silent one drops out after its TTL, a leaving one at once', async () => {
    const membersKey = keys.forStream('ordered.members').members('g');
    const a = new Membership(fx.producer.connection, membersKey, 'a', 300);
    const b = new Membership(fx.producer.connection, membersKey, 'b', 60_000);
    const c = new Membership(fx.producer.connection, membersKey, 'c', 60_000);
    await a.heartbeat();
    await c.heartbeat();
    expect(await b.heartbeat()).toEqual(['a', 'b', 'c']);
    await c.leave();
    expect(await b.heartbeat()).toEqual(['a', 'b']);
    // a stops beating: gone once its 300 ms are up, by Redis's clock.
    await waitFor(async () => (await b.heartbeat()).join() === 'b', { what: 'the silent member dropped' });
  });

  it('gives a partition one holder: renewals need its token, a lapsed lease goes to the next with a new token', async () => {
    const partition = keys.forStream('ordered.lease');
    const leaseKeys = { owner: partition.owner('g'), fence: partition.fence('g') };
    const first = new PartitionLeases(fx.producer.connection, 'w1', 400, 40);
    const second = new PartitionLeases(fx.producer.connection, 'w2', 400, 40);

    const calledAt = Date.now();
    const lease = await first.takeOrRenew(leaseKeys);
    const answeredAt = Date.now();
    expect(lease).toMatchObject({ token: '1', value: 'w1 1' });
    // The local deadline counts from when the request was sent (between the call and the answer), minus the margin.
    expect(lease!.validUntil).toBeGreaterThanOrEqual(calledAt + 400 - 40);
    expect(lease!.validUntil).toBeLessThanOrEqual(answeredAt + 400 - 40);
    expect(first.isValid(leaseKeys.owner)).toBe(true);
    expect(await fx.client.get(leaseKeys.owner)).toBe('w1 1');

    expect(await second.takeOrRenew(leaseKeys)).toBeUndefined();
    // A renewal keeps the token and pushes the local deadline.
    const renewed = await first.takeOrRenew(leaseKeys);
    expect(renewed?.token).toBe('1');
    // The same consumer name without the token (a restarted process) is not the holder.
    expect((await LuaSteps.takeLease(fx.producer.connection, leaseKeys, { consumer: 'w1', ttlMs: 400, token: undefined })).held).toBe(false);

    // w1 stops renewing: its local deadline passes before Redis lets w2 in.
    await waitFor(async () => (await second.takeOrRenew(leaseKeys)) !== undefined, { what: 'w2 takes the lapsed lease' });
    expect(first.isValid(leaseKeys.owner)).toBe(false);
    expect(second.get(leaseKeys.owner)?.token).toBe('2');
    // The old holder can neither renew nor release the new holder's lease.
    expect(await first.takeOrRenew(leaseKeys)).toBeUndefined();
    expect(await LuaSteps.releaseLease(fx.producer.connection, { owner: leaseKeys.owner }, { value: 'w1 1' })).toBe(false);
    expect(await fx.client.get(leaseKeys.owner)).toBe('w2 2');
    await second.release(leaseKeys.owner);
    expect(await fx.client.get(leaseKeys.owner)).toBeNull();
  });

  /** A partition stream with a group and `count` entries, and a fenced claim of it as `consumer`. */
  async function partitionWithEntries(name: string, count: number, consumer: string) {
    const partition = keys.forStream(name);
    const leaseKeys = { owner: partition.owner('g'), fence: partition.fence('g') };
    await fx.client.sendCommand(['XGROUP', 'CREATE', partition.stream, 'g', '0', 'MKSTREAM']);
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) ids.push((await fx.client.sendCommand(['XADD', partition.stream, '*', 'data', String(i)])) as string);
    const readAs = (reader: string, n: number) => fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', reader, 'COUNT', String(n), 'STREAMS', partition.stream, '>']);
    const claim = (leaseValue: string, cursor: string, n: number, neverStarted?: string[]) =>
      LuaSteps.claimPartition(fx.producer.connection, { stream: partition.stream, owner: leaseKeys.owner }, { group: 'g', consumer, leaseValue, cursor, count: n, neverStarted });
    const takeLease = async () => (await new PartitionLeases(fx.producer.connection, consumer, 10_000, 100).takeOrRenew(leaseKeys))!;
    return { partition, ids, readAs, claim, takeLease };
  }

  it('claims every entry pending in the partition, oldest first, only while holding the lease', async () => {
    const { partition, ids, readAs, claim, takeLease } = await partitionWithEntries('ordered.claim', 5, 'new');
    await readAs('old-a', 2);
    await readAs('old-b', 2);
    await fx.client.sendCommand(['XDEL', partition.stream, ids[2]]);

    expect(await claim('new 1', '0-0', 10)).toBeNull();
    const lease = await takeLease();
    const first = (await claim(lease.value, '0-0', 2))!;
    expect(first.entries.map((e) => [e.entryId, e.deliveryCount])).toEqual([[ids[0], 2], [ids[1], 2]]);
    expect(first.cursor).not.toBe('0-0');
    const rest = (await claim(lease.value, first.cursor, 10))!;
    expect(rest.entries.map((e) => e.entryId)).toEqual([ids[3]]);
    expect(rest.deletedIds).toEqual([ids[2]]);
    expect(rest.cursor).toBe('0-0');
    // All on the new owner now; the deleted one acked; the unread one left for `>`.
    const summary = (await fx.client.sendCommand(['XPENDING', partition.stream, 'g'])) as [number, string, string, [string, string][]];
    expect(summary[0]).toBe(3);
    expect(summary[3]).toEqual([['new', '3']]);
  });
  it('claims back entries it let go unstarted without counting a delivery, and counts every other', async () => {
    const fixture = await partitionWithEntries('ordered.keep-count', 4, 'me');
    const { partition, ids } = fixture;
    // ids[0], ids[1] delivered to this consumer; ids[2] to another one (it may have run there).
    await fixture.readAs('me', 2);
    await fixture.readAs('other', 1);
    const lease = await fixture.takeLease();
    const claim = (neverStarted: string[]) => fixture.claim(lease.value, '0-0', 10, neverStarted);
    // This consumer let ids[0] go unstarted (and names ids[2] and an unknown id, which it never held).
    const first = (await claim([ids[0], ids[2], '1-1']))!;
    expect(first.entries.map((e) => [e.entryId, e.deliveryCount])).toEqual([[ids[0], 1], [ids[1], 2], [ids[2], 2]]);
    // The named ids that were not pending here come back, for the consumer to forget.
    expect(first.notPendingHere).toEqual([ids[2], '1-1']);
    const counts = async () =>
      ((await fx.client.sendCommand(['XPENDING', partition.stream, 'g', '-', '+', '10'])) as [string, string, number, number][]).map(([id, consumer, , count]) => [id, consumer, Number(count)]);
    expect(await counts()).toEqual([[ids[0], 'me', 1], [ids[1], 'me', 2], [ids[2], 'me', 2]]);
    // Let go again and again (local lapses): the count of a never-started entry stays.
    for (let round = 0; round < 6; round += 1) expect((await claim([ids[0], ids[1]]))!.notPendingHere).toEqual([]);
    expect(await counts()).toEqual([[ids[0], 'me', 1], [ids[1], 'me', 2], [ids[2], 'me', 8]]);
    // Without the ids, a claim counts as before.
    await claim([]);
    expect((await counts())[0]).toEqual([ids[0], 'me', 2]);
    // Once acked, a named id is not pending here any more.
    await fx.client.sendCommand(['XACK', partition.stream, 'g', ids[0]]);
    expect((await claim([ids[0], ids[1]]))!.notPendingHere).toEqual([ids[0]]);
  });
});
