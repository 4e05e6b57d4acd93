/**
 * Where one message is, per consumer group, derived from what Redis already keeps: the
 * group's pending list (XPENDING of that one id: consumer, delivery count), its
 * last-delivered id (XINFO GROUPS), the delayed zset, and the entry's tracking hash, which
 * the consumer writes only when a handler fails (job-tracker.ts). A handful of O(log n)
 * commands sent together, whatever the stream's length; nothing is scanned. A stream with
 * priority levels or partitions is asked the same at each of its locations (job-locations.ts).
 */
import { compareEntryIds } from '../entry-ids.js';
import { fieldsToObject } from '../envelope.js';
import type { KeyBuilder, PriorityLevel, StreamKeys } from '../keys.js';
import { readTrackedJob, type TrackedJob } from '../lifecycle/job-tracker.js';
import type { RedisConnection } from '../redis/connection.js';
import { validateStreamName } from '../validation.js';
import { jobLocations, locationFields, type JobLocationFilter } from './job-locations.js';
import { readGroups, type GroupStats } from './stream-stats.js';

export const JOB_STATES = ['waiting', 'delayed', 'active', 'retrying', 'completed', 'dead-lettered', 'unknown'] as const;
export type JobState = (typeof JOB_STATES)[number];

export interface GroupJobStatus {
  group: string;
  state: JobState;
  /** Deliveries so far: XPENDING's count while pending; for a finished entry the tracked ones (1 when it never failed). */
  deliveries: number;
  /** The consumer holding it (active, retrying). */
  consumer?: string;
  progress?: unknown;
  /** The error of the last failed delivery (retrying, dead-lettered). */
  error?: string;
  /** When the state last changed as far as tracked (failure, progress), ms since epoch. */
  updatedAt?: number;
  /** Retrying: delivered again no earlier than this. Delayed: due at this time. */
  dueAt?: number;
}

export interface JobStatus {
  stream: string;
  /** The id asked about. */
  id: string;
  /** The stream entry id it resolved to; null for a delayed message not yet in the stream, or an id not found. */
  entryId: string | null;
  groups: GroupJobStatus[];
  /** Where it was found, for a stream with priority levels or partitions (absent for a plain stream, or when found nowhere). */
  priority?: PriorityLevel;
  partition?: number;
  /** Other levels or partitions holding a message with the same id (entry ids are per stream, so they can repeat); ask with the filter for those. */
  alsoFoundIn?: JobLocationRef[];
}

export interface JobLocationRef {
  priority: PriorityLevel;
  partition?: number;
}

const ENTRY_ID = /^\d+(-\d+)?$/;
const DELAYED_PREFIX = 'delayed:';

/**
 * `id` is an entry id (what `publish`/`emit` returned), `delayed:<messageId>` (what a delayed
 * publish returned), or a message id: an idempotency key is found through the producer's
 * mark `rs:{s}:idem:<key>` (which holds the entry id) for `dedupe.ttlMs`; a plain UUID
 * message id has no such index, so it is found only while it is delayed (the delayed set is
 * keyed by message id) and is `unknown` otherwise — ask by the entry id for those.
 * A stream with priority levels is asked on each level's stream (high, normal, low), a
 * partitioned one on the stream itself and then each partition; the first location holding
 * the message answers (`priority`, `partition`), others holding the same id are `alsoFoundIn`.
 * `where` narrows the search to one level or partition.
 */
export async function getJobStatus(connection: RedisConnection, keys: KeyBuilder, stream: string, id: string, where: JobLocationFilter = {}): Promise<JobStatus> {
  validateStreamName(stream);
  const narrowed = where.priority !== undefined || where.partition !== undefined;
  // The stream itself is asked at once, beside the lookup of its other locations: a plain stream costs what it did.
  const [locations, itself] = await Promise.all([
    jobLocations(connection, keys, stream, where),
    narrowed ? undefined : statusAt(connection, keys.forStream(stream), stream, id),
  ]);
  if (locations.length === 1 && itself !== undefined) return itself.status;
  const answers = await Promise.all(
    locations.map(async (location) => ({
      location,
      answer: itself !== undefined && location.partition === undefined && location.priority === 'normal' ? itself : await statusAt(connection, location.keys, stream, id),
    })),
  );
  const found = answers.filter((a) => a.answer.found);
  if (found.length === 0) {
    // Nowhere: the groups' view of the first location that has groups (a partitioned stream's own key may have none).
    return (answers.find((a) => a.answer.status.groups.length > 0) ?? answers[0]).answer.status;
  }
  const [first, ...others] = found;
  const status: JobStatus = { ...first.answer.status, ...locationFields(first.location, false) };
  if (others.length > 0) status.alsoFoundIn = others.map((o) => locationFields(o.location, false) as JobLocationRef);
  return status;
}

/** The status at one location, and whether the message is there at all (in the stream, pending, delayed or tracked). */
async function statusAt(connection: RedisConnection, k: StreamKeys, stream: string, id: string): Promise<{ status: JobStatus; found: boolean }> {
  const [target, groups] = await Promise.all([resolveId(connection, k, id), readGroups(connection, k.stream)]);
  if (groups === null || groups.length === 0) return { status: { stream, id, entryId: target.entryId ?? null, groups: [] }, found: target.kind === 'delayed' };
  if (target.kind === 'delayed') {
    return { status: { stream, id, entryId: null, groups: groups.map((g) => ({ group: g.name, state: 'delayed', deliveries: 0, dueAt: target.dueAt })) }, found: true };
  }
  if (target.kind === 'not-found') {
    return { status: { stream, id, entryId: null, groups: groups.map((g) => ({ group: g.name, state: 'unknown', deliveries: 0 })) }, found: false };
  }
  const entryId = target.entryId;
  const [exists, tracking, ...pending] = await Promise.all([
    connection.send<unknown[]>(['XRANGE', k.stream, entryId, entryId]).then((rows) => rows.length > 0),
    connection.send<string[]>(['HGETALL', k.job(entryId)]).then(fieldsToObject),
    ...groups.map((g) => connection.send<PendingRow[]>(['XPENDING', k.stream, g.name, entryId, entryId, 1])),
  ]);
  const statuses = groups.map((g, i) => groupStatus(g, entryId, exists, pending[i][0], tracking));
  return { status: { stream, id, entryId, groups: statuses }, found: exists || statuses.some((g) => g.state !== 'unknown') };
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];
type Target = { kind: 'entry'; entryId: string } | { kind: 'delayed'; dueAt: number; entryId?: undefined } | { kind: 'not-found'; entryId?: undefined };

async function resolveId(connection: RedisConnection, k: StreamKeys, id: string): Promise<Target> {
  if (id.startsWith(DELAYED_PREFIX)) return delayedTarget(connection, k, id.slice(DELAYED_PREFIX.length));
  // The key's mark first: an idempotency key may look like an entry id (an order number `12345`).
  const mark = await connection.send<string | null>(['GET', k.idempotency(id)]);
  if (mark !== null && ENTRY_ID.test(mark)) return { kind: 'entry', entryId: mark };
  if (mark === null && ENTRY_ID.test(id)) return { kind: 'entry', entryId: id.includes('-') ? id : `${id}-0` };
  // A delayed publish marks its key `delayed:<messageId>`; without a key the message id is the member.
  return delayedTarget(connection, k, mark?.startsWith(DELAYED_PREFIX) ? mark.slice(DELAYED_PREFIX.length) : id);
}

/** Delayed while its member is in the zset. Once promoted its new entry id is not recorded, so it is not found. */
async function delayedTarget(connection: RedisConnection, k: StreamKeys, member: string): Promise<Target> {
  const score = await connection.send<string | null>(['ZSCORE', k.delayed, member]);
  return score === null ? { kind: 'not-found' } : { kind: 'delayed', dueAt: Number(score) };
}

function groupStatus(group: GroupStats, entryId: string, exists: boolean, pending: PendingRow | undefined, tracking: Record<string, string>): GroupJobStatus {
  const tracked = readTrackedJob(tracking, group.name);
  const status = stateOf(group, entryId, exists, pending, tracked);
  if (tracked.progress !== undefined) status.progress = tracked.progress;
  if (tracked.updatedAt !== undefined) status.updatedAt = tracked.updatedAt;
  return status;
}

function stateOf(group: GroupStats, entryId: string, exists: boolean, pending: PendingRow | undefined, tracked: TrackedJob): GroupJobStatus {
  if (pending !== undefined) {
    const deliveries = Number(pending[3]);
    if (pendingState(tracked, deliveries) === 'retrying') {
      return { group: group.name, state: 'retrying', deliveries, consumer: pending[1], error: tracked.error, ...(tracked.retryAt !== undefined && { dueAt: tracked.retryAt }) };
    }
    return { group: group.name, state: 'active', deliveries, consumer: pending[1] };
  }
  if (tracked.state === 'dead-lettered') return { group: group.name, state: 'dead-lettered', deliveries: tracked.failedDelivery ?? 1, error: tracked.error };
  // Not pending and not in the stream: trimmed (every group had finished it) or never written.
  if (!exists) return { group: group.name, state: 'unknown', deliveries: 0 };
  if (compareEntryIds(entryId, group.lastDeliveredId) > 0) return { group: group.name, state: 'waiting', deliveries: 0 };
  return { group: group.name, state: 'completed', deliveries: (tracked.failedDelivery ?? 0) + 1 };
}

/**
 * A pending entry is retrying when its last delivery failed: the consumer keeps it pending on
 * itself until its backoff passed, and the retry's delivery (XCLAIM) raises the count above the
 * failed one, which makes it active again.
 */
export function pendingState(tracked: TrackedJob, deliveries: number): 'active' | 'retrying' {
  return tracked.state === 'retrying' && tracked.failedDelivery !== undefined && deliveries <= tracked.failedDelivery ? 'retrying' : 'active';
}
