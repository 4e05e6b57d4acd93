/**
 * One typed method per Lua step (libs/core/lua/<step>-<numKeys>.lua): named keys in, a
 * named result out, the reply shape declared once here. Every caller in the core goes
 * through these; LuaScript.run checks the key count against the file name.
 */
import type { RedisConnection } from './connection.js';
import { Scripts } from './scripts.js';

type Args = (string | number)[];

export const LuaSteps = {
  /** publish-idempotent-2: XADD unless the idempotency key was seen within its TTL. */
  async publishIdempotent(
    connection: RedisConnection,
    keys: { stream: string; idempotency: string },
    args: { ttlMs: number; fields: readonly string[] },
  ): Promise<{ entryId: string; added: boolean }> {
    const [entryId, added] = await Scripts.publishIdempotent.run<[string, number]>(connection, [keys.stream, keys.idempotency], [args.ttlMs, ...args.fields]);
    return { entryId, added: added === 1 };
  },

  /** schedule-delayed-n: stores a delayed message; the idempotency key is optional (2 or 3 keys). */
  async scheduleDelayed(
    connection: RedisConnection,
    keys: { delayed: string; delayedPayloads: string; idempotency?: string },
    args: { dueAt: number; member: string; fields: readonly string[]; ttlMs: number },
  ): Promise<{ entryId: string; added: boolean }> {
    const keyList = keys.idempotency === undefined ? [keys.delayed, keys.delayedPayloads] : [keys.delayed, keys.delayedPayloads, keys.idempotency];
    const [entryId, added] = await Scripts.scheduleDelayed.run<[string, number]>(connection, keyList, [
      args.dueAt, args.member, JSON.stringify(args.fields), args.ttlMs,
    ]);
    return { entryId, added: added === 1 };
  },

  /** promote-delayed-3: moves up to `batchSize` due delayed messages into the stream; returns how many. */
  promoteDelayed(
    connection: RedisConnection,
    keys: { stream: string; delayed: string; delayedPayloads: string },
    args: { now: number; batchSize: number },
  ): Promise<number> {
    return Scripts.promoteDelayed.run<number>(connection, [keys.stream, keys.delayed, keys.delayedPayloads], [args.now, args.batchSize]);
  },

  /** dead-letter-2: copies the entry to the dead-letter stream and acks it, if this consumer still owns it. */
  async deadLetter(
    connection: RedisConnection,
    keys: { stream: string; deadLetter: string },
    args: { group: string; entryId: string; consumer: string; maxLen: number; fields: readonly string[] },
  ): Promise<{ moved: boolean; dropped: number }> {
    const [, dropped, acked] = await Scripts.deadLetter.run<[string | null, number, number]>(connection, [keys.stream, keys.deadLetter], [
      args.group, args.entryId, args.consumer, args.maxLen, ...args.fields,
    ]);
    return { moved: acked === 1, dropped };
  },

  /** ack-completed-2: acks entries and adds their idempotency keys to the group's current completion bucket; returns how many were acked. */
  ackCompleted(
    connection: RedisConnection,
    keys: { stream: string; bucket: string },
    args: { group: string; ttlMs: number; bucketEndMs: number; entryIds: readonly string[]; idempotencyKeys: readonly string[] },
  ): Promise<number> {
    return Scripts.ackCompleted.run<number>(connection, [keys.stream, keys.bucket], [
      args.group, args.ttlMs, args.bucketEndMs, args.entryIds.length, ...args.entryIds, ...args.idempotencyKeys,
    ]);
  },

  /** completed-keys-n: one flag per idempotency key, true when one of the completion buckets holds it. */
  async completedKeys(connection: RedisConnection, keys: { buckets: readonly string[] }, args: { idempotencyKeys: readonly string[] }): Promise<number[]> {
    return Scripts.completedKeys.run<number[]>(connection, keys.buckets, args.idempotencyKeys);
  },

  /** refresh-leases-1: resets the idle time of entries this consumer still owns; returns the ids it no longer owns. */
  refreshLeases(connection: RedisConnection, keys: { stream: string }, args: { group: string; consumer: string; entryIds: readonly string[] }): Promise<string[]> {
    return Scripts.refreshLeases.run<string[]>(connection, [keys.stream], [args.group, args.consumer, ...args.entryIds]);
  },

  /** hand-back-1: makes unstarted entries this consumer still owns claimable at once (idle `idleMs`); returns how many. */
  handBack(connection: RedisConnection, keys: { stream: string }, args: { group: string; consumer: string; idleMs: number; entryIds: readonly string[] }): Promise<number> {
    return Scripts.handBack.run<number>(connection, [keys.stream], [args.group, args.consumer, args.idleMs, ...args.entryIds]);
  },

  /** trim-acked-1: trims below what every group still needs; `minId` is null when the stream has no groups. */
  async trimAcked(
    connection: RedisConnection,
    keys: { stream: string },
    args: { exact: boolean; dryRun?: boolean },
  ): Promise<{ trimmed: number; minId: string | null }> {
    const argv: Args = [args.exact ? '=' : '~'];
    if (args.dryRun) argv.push('dry-run');
    const [trimmed, minId] = await Scripts.trimAcked.run<[number, string]>(connection, [keys.stream], argv);
    return { trimmed, minId: minId === '' ? null : minId };
  },

  /** trim-capped-1: the hard cap; counts the removed entries some group had not read. */
  async trimCapped(
    connection: RedisConnection,
    keys: { stream: string },
    args: { by: 'MAXLEN'; maxLen: number } | { by: 'MINID'; minId: string },
  ): Promise<{ trimmed: number; unreadTrimmed: number }> {
    const [trimmed, unreadTrimmed] = await Scripts.trimCapped.run<[number, number]>(connection, [keys.stream], [
      args.by, args.by === 'MAXLEN' ? args.maxLen : args.minId,
    ]);
    return { trimmed, unreadTrimmed };
  },

  /**
   * claim-own-1: takes back an entry this consumer still owns (a retry). Null when it is no
   * longer ours; `fields` null when it was deleted from the stream.
   */
  async claimOwn(
    connection: RedisConnection,
    keys: { stream: string },
    args: { group: string; consumer: string; entryId: string; keepCount?: boolean },
  ): Promise<{ deliveryCount: number; fields: string[] | null } | null> {
    const argv = [args.group, args.consumer, args.entryId, ...(args.keepCount ? ['keep-count'] : [])];
    const reply = await Scripts.claimOwn.run<[number, string[] | null] | null>(connection, [keys.stream], argv);
    return reply === null ? null : { deliveryCount: reply[0], fields: reply[1] };
  },

  /** take-tokens-2: takes up to `tokens` of the group's rate limit (or gives back `-tokens`); `retryMs` when none was granted. */
  async takeTokens(
    connection: RedisConnection,
    keys: { bucket: string; hold: string },
    args: { max: number; perMs: number; tokens: number },
  ): Promise<{ granted: number; retryMs: number }> {
    const [granted, retryMs] = await Scripts.takeTokens.run<[number, number]>(connection, [keys.bucket, keys.hold], [args.max, args.perMs, args.tokens]);
    return { granted, retryMs };
  },

  /** remove-consumer-if-idle-1: removes a consumer that owns nothing and was idle at least `minIdleMs`. */
  async removeConsumerIfIdle(
    connection: RedisConnection,
    keys: { stream: string },
    args: { group: string; consumer: string; minIdleMs: number },
  ): Promise<boolean> {
    return (await Scripts.removeConsumerIfIdle.run<number>(connection, [keys.stream], [args.group, args.consumer, args.minIdleMs])) === 1;
  },

  /** replay-dead-letter-3: re-publishes one dead letter without `stripFields` and deletes it; entryId null when it is gone. */
  async replayDeadLetter(
    connection: RedisConnection,
    keys: { stream: string; deadLetter: string; replayMark: string },
    args: { deadLetterId: string; markTtlMs: number; stripFields: readonly string[] },
  ): Promise<{ entryId: string | null; replayed: boolean }> {
    const [entryId, replayed] = await Scripts.replayDeadLetter.run<[string | null, number]>(connection, [keys.stream, keys.deadLetter, keys.replayMark], [
      args.deadLetterId, args.markTtlMs, ...args.stripFields,
    ]);
    return { entryId, replayed: replayed === 1 };
  },

  /** track-job-1: writes fields of an entry's tracking hash and sets its TTL. */
  async trackJob(connection: RedisConnection, keys: { job: string }, args: { ttlMs: number; fields: readonly string[] }): Promise<void> {
    await Scripts.trackJob.run<number>(connection, [keys.job], [args.ttlMs, ...args.fields]);
  },

  /** fire-schedule-3: claims a schedule's due tick (compare-and-set of `next`) and publishes it once. */
  async fireSchedule(
    connection: RedisConnection,
    keys: { schedule: string; stream: string; tickIdempotency: string },
    args: { expectedNext: number; fireAt: number | null; next: number | null; idempotencyTtlMs: number; now: number; fields: readonly string[] },
  ): Promise<{ claimed: boolean; entryId: string | null }> {
    const [claimed, entryId] = await Scripts.fireSchedule.run<[number, string | null]>(connection, [keys.schedule, keys.stream, keys.tickIdempotency], [
      args.expectedNext, args.fireAt ?? '', args.next ?? '', args.idempotencyTtlMs, args.now, ...args.fields,
    ]);
    return { claimed: claimed === 1, entryId: entryId ?? null };
  },

  /** append-events-1: XADDs a batch of events (each a field/value list) to a capped events stream. */
  appendEvents(connection: RedisConnection, keys: { events: string }, args: { maxLen: number; events: readonly (readonly string[])[] }): Promise<number> {
    const argv: string[] = [String(args.maxLen)];
    for (const fields of args.events) argv.push(String(fields.length), ...fields);
    return Scripts.appendEvents.run<number>(connection, [keys.events], argv);
  },

  /** heartbeat-member-1: renews this consumer in the group's member list (`ttlMs` 0: leaves); returns the live members. */
  heartbeatMember(connection: RedisConnection, keys: { members: string }, args: { consumer: string; ttlMs: number }): Promise<string[]> {
    return Scripts.heartbeatMember.run<string[]>(connection, [keys.members], [args.consumer, args.ttlMs]);
  },

  /** take-lease-2: takes a free partition lease (new fencing token) or renews this consumer's; else says who holds it. */
  async takeLease(
    connection: RedisConnection,
    keys: { owner: string; fence: string },
    args: { consumer: string; ttlMs: number; token: string | undefined },
  ): Promise<{ held: true; token: string } | { held: false; holder: string; remainingMs: number }> {
    const reply = await Scripts.takeLease.run<[number, string, number?]>(connection, [keys.owner, keys.fence], [args.consumer, args.ttlMs, args.token ?? '']);
    return reply[0] === 1 ? { held: true, token: String(reply[1]) } : { held: false, holder: String(reply[1]), remainingMs: Number(reply[2] ?? 0) };
  },

  /** release-lease-1: deletes the lease if it still holds `value`; returns whether it did. */
  async releaseLease(connection: RedisConnection, keys: { owner: string }, args: { value: string }): Promise<boolean> {
    return (await Scripts.releaseLease.run<number>(connection, [keys.owner], [args.value])) === 1;
  },

  /**
   * claim-partition-2: while the lease holds `leaseValue`, claims the next `count` entries
   * pending on anyone in the partition, oldest first; null when the lease is lost.
   * `neverStarted`: ids handed to this consumer and let go unstarted; those still pending here
   * are claimed without counting a delivery, the others come back in `notPendingHere` (acked,
   * or claimed by another owner since: nothing to keep them for).
   */
  async claimPartition(
    connection: RedisConnection,
    keys: { stream: string; owner: string },
    args: { group: string; consumer: string; leaseValue: string; cursor: string; count: number; neverStarted?: readonly string[] },
  ): Promise<{ cursor: string; entries: { entryId: string; fields: string[]; deliveryCount: number }[]; deletedIds: string[]; notPendingHere: string[] } | null> {
    const reply = await Scripts.claimPartition.run<[string, [string, string[]][], string[], number[], string[]] | ['lost']>(connection, [keys.stream, keys.owner], [
      args.group, args.consumer, args.leaseValue, args.cursor, args.count, ...(args.neverStarted ?? []),
    ]);
    if (reply.length === 1) return null;
    const [cursor, entries, deletedIds, counts, notPendingHere] = reply;
    return { cursor, entries: entries.map(([entryId, fields], i) => ({ entryId, fields, deliveryCount: Number(counts[i]) })), deletedIds, notPendingHere };
  },

  /** read-partition-2: while the lease holds `leaseValue`, reads up to `count` new entries (`>`, no BLOCK); null when the lease is lost. */
  async readPartition(
    connection: RedisConnection,
    keys: { stream: string; owner: string },
    args: { group: string; consumer: string; leaseValue: string; count: number },
  ): Promise<[string, string[]][] | null> {
    const reply = await Scripts.readPartition.run<['ok', [string, string[]][]] | ['lost']>(connection, [keys.stream, keys.owner], [
      args.group, args.consumer, args.leaseValue, args.count,
    ]);
    return reply[0] === 'ok' ? (reply[1] ?? []) : null;
  },

  /** set-partitions-1: stores the partition count when none is stored, or (mode `grow`) when it is larger; broadcasts a change. */
  async setPartitions(connection: RedisConnection, keys: { meta: string }, args: { count: number; mode: 'agree' | 'grow' }): Promise<{ before: number; after: number }> {
    const [before, after] = await Scripts.setPartitions.run<[number, number]>(connection, [keys.meta], [args.count, args.mode]);
    return { before, after };
  },
} as const;
