/**
 * The Lua steps the reliability units rely on, each against a real redis-server: they act
 * only on entries the caller still owns, so a retry, a lease refresh or a dead-letter
 * never takes an entry away from the consumer that now holds it.
 */
import { Scripts, StreamConsumer, type ReceivedMessage } from '@redstream/core';
import { commandStats } from '../support/command-stats.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('atomic steps of the reliability units', () => {
  const fx = useRedis();

  /** A stream with one entry read by consumer `a`; returns its key and entry id. */
  async function oneEntryHeldByA(stream: string): Promise<{ key: string; id: string }> {
    const key = `rs:{${stream}}`;
    const id = (await fx.client.sendCommand(['XADD', key, '*', 'data', '1', 'id', 'm', 'ts', '1'])) as string;
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', key, '>']);
    return { key, id };
  }
  const pending = async (key: string) => (await fx.client.sendCommand(['XPENDING', key, 'g', '-', '+', '10'])) as [string, string, number, number][];

  it('claim-own-1 takes an entry back for a retry only while this consumer owns it, counting a delivery', async () => {
    const { key, id } = await oneEntryHeldByA('steps.claim-own');
    expect(await Scripts.claimOwn.run(fx.producer.connection, [key], ['g', 'a', id])).toEqual([2, ['data', '1', 'id', 'm', 'ts', '1']]);
    await fx.client.sendCommand(['XCLAIM', key, 'g', 'b', '0', id]);
    expect(await Scripts.claimOwn.run(fx.producer.connection, [key], ['g', 'a', id])).toBeNull();
    expect((await pending(key))[0]).toEqual([id, 'b', expect.any(Number), 3]);
    await fx.client.sendCommand(['XDEL', key, id]);
    expect(await Scripts.claimOwn.run(fx.producer.connection, [key], ['g', 'b', id])).toEqual([4, null]);
  });

  it('refresh-leases-1 resets idle time of owned entries without counting a delivery, and reports lost ones', async () => {
    const { key, id } = await oneEntryHeldByA('steps.leases');
    await fx.client.sendCommand(['XCLAIM', key, 'g', 'a', '0', id, 'IDLE', '60000', 'JUSTID']);
    expect((await pending(key))[0][2]).toBeGreaterThanOrEqual(60_000);
    expect(await Scripts.refreshLeases.run(fx.producer.connection, [key], ['g', 'a', id])).toEqual([]);
    const [, owner, idle, deliveries] = (await pending(key))[0];
    expect([owner, deliveries]).toEqual(['a', 1]);
    expect(idle).toBeLessThan(1_000);
    expect(await Scripts.refreshLeases.run(fx.producer.connection, [key], ['g', 'b', id])).toEqual([id]);
    expect((await pending(key))[0][1]).toBe('a');
  });

  it('hand-back-1 makes owned entries claimable at once without counting a delivery, and leaves others\' entries alone', async () => {
    const { key, id } = await oneEntryHeldByA('steps.hand-back');
    expect(await Scripts.handBack.run(fx.producer.connection, [key], ['g', 'b', 600_000, id])).toBe(0);
    expect((await pending(key))[0][2]).toBeLessThan(600_000);
    expect(await Scripts.handBack.run(fx.producer.connection, [key], ['g', 'a', 600_000, id])).toBe(1);
    const [, owner, idle, deliveries] = (await pending(key))[0];
    expect([owner, deliveries]).toEqual(['a', 1]);
    expect(idle).toBeGreaterThanOrEqual(600_000);
    // Another consumer's reclaim with a long minIdleMs takes it now.
    const claimed = (await fx.client.sendCommand(['XAUTOCLAIM', key, 'g', 'b', '300000', '0', 'JUSTID'])) as [string, string[]];
    expect(claimed[1]).toEqual([id]);
  });

  it('dead-letter-2 writes nothing when the entry is no longer pending (someone else finished it)', async () => {
    const { key, id } = await oneEntryHeldByA('steps.dead-letter');
    await fx.client.sendCommand(['XACK', key, 'g', id]);
    expect(await Scripts.deadLetter.run(fx.producer.connection, [key, `${key}:dlq`], ['g', id, 'a', 0, 'data', '1', 'dlqReason', 'max-deliveries'])).toEqual([null, 0, 0]);
    expect(await fx.client.exists(`${key}:dlq`)).toBe(0);
  });

  it('dead-letter-2 leaves an entry another consumer took over (it may be running there)', async () => {
    const { key, id } = await oneEntryHeldByA('steps.dead-letter-owner');
    expect(await Scripts.deadLetter.run(fx.producer.connection, [key, `${key}:dlq`], ['g', id, 'b', 0, 'data', '1', 'dlqReason', 'timeout'])).toEqual([null, 0, 0]);
    expect(await fx.client.exists(`${key}:dlq`)).toBe(0);
    expect((await pending(key))[0][1]).toBe('a');
    const [dlqId, dropped, acked] = (await Scripts.deadLetter.run(fx.producer.connection, [key, `${key}:dlq`], ['g', id, 'a', 0, 'data', '1'])) as [string, number, number];
    expect([typeof dlqId, dropped, acked]).toEqual(['string', 0, 1]);
  });

  it('trim-acked-1 keeps a pending entry whose id differs from the last-delivered id only beyond 2^53 in the sequence', async () => {
    const key = 'rs:{steps.big-seq}';
    // Lua numbers are doubles: 5-9007199254740992 and 5-9007199254740993 parse to the same number.
    for (const id of ['5-1', '5-9007199254740992', '5-9007199254740993']) await fx.client.sendCommand(['XADD', key, id, 'data', id]);
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', key, '>']);
    await fx.client.sendCommand(['XACK', key, 'g', '5-1', '5-9007199254740993']);
    expect(await Scripts.trimAcked.run(fx.producer.connection, [key], ['=', 'dry-run'])).toEqual([0, '5-9007199254740992']);
    expect(await Scripts.trimAcked.run(fx.producer.connection, [key], ['='])).toEqual([1, '5-9007199254740992']);
    expect((await pending(key)).map(([id]) => id)).toEqual(['5-9007199254740992']);
    expect(await fx.client.xLen(key)).toBe(2);
  });

  it('ack-completed-2 acks and marks a batch larger than Lua can unpack at once (ack.batchSize allows 100,000)', async () => {
    const key = 'rs:{steps.big-ack}';
    const ids: string[] = [];
    for (let i = 1; i <= 9_000; i += 1) ids.push(`1-${i}`);
    for (let i = 0; i < ids.length; i += 1_000) {
      await Promise.all(ids.slice(i, i + 1_000).map((id) => fx.client.sendCommand(['XADD', key, id, 'data', '1'])));
    }
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'a', 'COUNT', '10000', 'STREAMS', key, '>']);
    const bucket = `${key}:completed:g:0`;
    const idempotencyKeys = ids.map((id) => `key-${id}`);
    expect(await Scripts.ackCompleted.run(fx.producer.connection, [key, bucket], ['g', 60_000, 0, ids.length, ...ids, ...idempotencyKeys])).toBe(9_000);
    expect(await fx.pendingCount('steps.big-ack')).toBe(0);
    expect(await fx.client.sCard(bucket)).toBe(9_000);
    // Bucket end 0 lies in the past: the expiry follows Redis' clock, a TTL from now.
    expect(await fx.client.pTTL(bucket)).toBeGreaterThan(55_000);
    const flags = (await Scripts.completedKeys.run(fx.producer.connection, [`${key}:completed:g:-1`, bucket], ['key-1-1', 'nope', 'key-1-9000'])) as number[];
    expect(flags).toEqual([1, 0, 1]);
    const many = (await Scripts.completedKeys.run(fx.producer.connection, [bucket], idempotencyKeys)) as number[];
    expect(many.every((flag) => flag === 1)).toBe(true);
    expect(many).toHaveLength(9_000);
  });

  it('sends a script in full when Redis lost it (SCRIPT FLUSH, a restart), with the same arguments, and by SHA again after', async () => {
    const key = 'rs:{steps.noscript}';
    const bucket = `${key}:completed:g:0`;
    await fx.client.sendCommand(['SADD', bucket, 'k-1']);
    await fx.client.sendCommand(['SCRIPT', 'FLUSH']);
    await fx.client.sendCommand(['CONFIG', 'RESETSTAT']);
    expect(await Scripts.completedKeys.run(fx.producer.connection, [bucket], ['k-1', 'k-2'])).toEqual([1, 0]);
    expect(await Scripts.completedKeys.run(fx.producer.connection, [bucket], ['k-2', 'k-1'])).toEqual([0, 1]);
    const { calls } = await commandStats(fx.client);
    expect([calls('eval'), calls('evalsha')]).toEqual([1, 2]);
  });

  it('acks and counts pending entries that were deleted from the stream when reclaiming them', async () => {
    const stream = 'steps.deleted';
    const { key, id } = await oneEntryHeldByA(stream);
    const kept = (await fx.client.sendCommand(['XADD', key, '*', 'data', '2', 'id', 'n', 'ts', '1'])) as string;
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', key, '>']);
    await fx.client.sendCommand(['XDEL', key, id]);
    let deleted = 0;
    const handled: ReceivedMessage[] = [];
    const logger = collectingLogger();
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', consumer: 'heir', logger, claim: { minIdleMs: 100, intervalMs: 50 } })
      .subscribe(stream, (m) => void handled.push(m))
      .addObserver({ deletedOnClaim: (_s, n) => void (deleted += n) });
    await consumer.start();
    try {
      await waitFor(async () => handled.length === 1 && (await pending(key)).length === 0, { what: 'reclaim' });
      expect(handled.map((m) => [m.entryId, m.deliveryCount])).toEqual([[kept, 2]]);
      expect(deleted).toBe(1);
      expect(logger.lines).toContain(`warn acked 1 pending entries of "${stream}" that were deleted from the stream`);
    } finally {
      await consumer.stop();
    }
  });
});
