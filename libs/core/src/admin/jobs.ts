/**
 * Messages of one stream by state, a page at a time, read from where Redis keeps each
 * state: `waiting` is XRANGE after the group's last-delivered id, `active` and `retrying`
 * the group's pending list (XPENDING) told apart by the tracking hash (job-status.ts),
 * `delayed` the delayed zset by due time, `dead-lettered` the dead-letter stream. `completed`
 * has no list: Redis forgets an entry once it is acked. The cursor is opaque; pass
 * `nextCursor` back for the next page (null when there is none). A filtered list (active,
 * retrying, one group's dead letters) does not look ahead, so its last page may be empty.
 * A stream with priority levels or partitions is listed location by location (high, normal,
 * low; the stream itself, then each partition), each job naming its `priority` / `partition`.
 */
import { compareEntryIds } from '../entry-ids.js';
import { fieldsToObject } from '../envelope.js';
import { InvalidOptionError } from '../errors/index.js';
import type { KeyBuilder, PriorityLevel, StreamKeys } from '../keys.js';
import { readTrackedJob } from '../lifecycle/job-tracker.js';
import type { RedisConnection } from '../redis/connection.js';
import { validateStreamName } from '../validation.js';
import { readDeadLetters } from './dead-letters.js';
import { jobLocations, locationFields, locationLabel, type JobLocation, type JobLocationFilter } from './job-locations.js';
import { pendingState } from './job-status.js';
import { readGroups, resolveGroup } from './stream-stats.js';

export const LISTABLE_JOB_STATES = ['waiting', 'active', 'retrying', 'delayed', 'dead-lettered'] as const;
export type ListableJobState = (typeof LISTABLE_JOB_STATES)[number];

export interface JobListQuery extends JobLocationFilter {
  state: ListableJobState;
  /** The group (waiting, active, retrying: default the stream's only group; dead-lettered: all groups when absent). */
  group?: string;
  limit: number;
  cursor?: string;
}

export interface JobListItem {
  /** Stream entry id; `delayed:<messageId>` for a delayed message. */
  entryId: string;
  state: ListableJobState;
  group?: string;
  messageId?: string;
  deliveries: number;
  consumer?: string;
  idleMs?: number;
  error?: string;
  /** Delayed: due time. Retrying: retried no earlier than this. */
  dueAt?: number;
  /** Dead-lettered: the id in the dead-letter stream. */
  deadLetterId?: string;
  /** The level or partition it is on, for a stream with priority levels or partitions. */
  priority?: PriorityLevel;
  partition?: number;
}

export interface JobPage {
  stream: string;
  state: ListableJobState;
  group?: string;
  jobs: JobListItem[];
  nextCursor: string | null;
}

/** Entries read per Redis call; a filtered list (retrying, one group's dead letters) reads at most MAX_PAGES of them per call. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

export async function listJobs(connection: RedisConnection, keys: KeyBuilder, stream: string, query: JobListQuery): Promise<JobPage> {
  validateStreamName(stream);
  if (!(LISTABLE_JOB_STATES as readonly string[]).includes(query.state)) {
    throw new InvalidOptionError('state', query.state, `one of ${LISTABLE_JOB_STATES.join(', ')} (completed entries are not kept by Redis)`);
  }
  if (!Number.isInteger(query.limit) || query.limit < 1) throw new InvalidOptionError('limit', query.limit, 'an integer of at least 1');
  // The group is resolved beside the look-up of levels and partitions: one round trip, as before them.
  const needsGroup = query.state !== 'delayed' && query.state !== 'dead-lettered';
  const [locations, resolved] = await Promise.all([
    jobLocations(connection, keys, stream, query),
    needsGroup ? resolveGroup(connection, keys, stream, query.group) : undefined,
  ]);
  switch (query.state) {
    case 'delayed':
      return { stream, state: 'delayed', ...(await listAcross(locations, query, (location, q) => listDelayed(connection, location.keys, q))) };
    case 'dead-lettered': {
      // The levels of a stream share its dead-letter stream; each partition has its own.
      const distinct = locations.filter((l, i) => locations.findIndex((o) => o.keys.deadLetter === l.keys.deadLetter) === i);
      // Levels share one dead-letter stream: each dead letter says its level (dlqPriority).
      const withPriority = !isItself(locations) && distinct.length === 1 && distinct[0].partition === undefined;
      const listOne = (location: JobLocation, q: JobListQuery) => listDeadLettered(connection, keys, location.keys.name, q);
      const page = withPriority ? await listDeadLettered(connection, keys, stream, query, true) : await listAcross(distinct, query, listOne);
      return { stream, state: 'dead-lettered', ...(query.group !== undefined && { group: query.group }), ...page };
    }
    default: {
      const group = resolved!;
      const state = query.state;
      const page = await listAcross(locations, query, async (location, q) => {
        if (isItself(locations)) return state === 'waiting' ? listWaiting(connection, location.keys, group.lastDeliveredId, q) : listPending(connection, location.keys, group.name, state, q);
        // Each level and partition stream has its own copy of the group (or none yet).
        const own = (await readGroups(connection, location.keys.stream))?.find((g) => g.name === group.name);
        if (own === undefined) return { jobs: [], nextCursor: null };
        return state === 'waiting' ? listWaiting(connection, location.keys, own.lastDeliveredId, q) : listPending(connection, location.keys, group.name, state, q);
      });
      return { stream, state, group: group.name, ...page };
    }
  }
}

/** Only the stream itself: listed, and its jobs and cursors shaped, as for a stream without levels or partitions. */
function isItself(locations: readonly JobLocation[]): boolean {
  return locations.length === 1 && locations[0].partition === undefined && locations[0].priority === 'normal';
}

/** Separates a location's label from its own cursor in the cursor of a list over several locations. */
const CURSOR_SEPARATOR = '|';

/**
 * One page over the locations in order: a location's list goes on until it ends, then the
 * next one's starts. With one location the cursor is that list's own, as for a plain stream.
 */
async function listAcross(locations: readonly JobLocation[], query: JobListQuery, listOne: (location: JobLocation, query: JobListQuery) => Promise<Page>): Promise<Page> {
  if (locations.length === 1) {
    const page = await listOne(locations[0], query);
    return isItself(locations) ? page : { jobs: page.jobs.map((job) => ({ ...job, ...locationFields(locations[0], false) })), nextCursor: page.nextCursor };
  }
  let start = 0;
  let cursor: string | undefined;
  if (query.cursor !== undefined) {
    const at = query.cursor.indexOf(CURSOR_SEPARATOR);
    start = at < 0 ? -1 : locations.findIndex((l) => locationLabel(l) === query.cursor!.slice(0, at));
    if (start < 0) throw new InvalidOptionError('cursor', query.cursor, 'a nextCursor of an earlier page of this list');
    cursor = query.cursor.slice(at + 1) || undefined;
  }
  const jobs: JobListItem[] = [];
  for (let i = start; i < locations.length; i++) {
    const location = locations[i];
    const page = await listOne(location, { ...query, limit: query.limit - jobs.length, cursor: i === start ? cursor : undefined });
    jobs.push(...page.jobs.map((job) => ({ ...job, ...locationFields(location, false) })));
    if (page.nextCursor !== null) return { jobs, nextCursor: `${locationLabel(location)}${CURSOR_SEPARATOR}${page.nextCursor}` };
    if (jobs.length === query.limit) return { jobs, nextCursor: i + 1 < locations.length ? `${locationLabel(locations[i + 1])}${CURSOR_SEPARATOR}` : null };
  }
  return { jobs, nextCursor: null };
}

type Page = { jobs: JobListItem[]; nextCursor: string | null };

async function listWaiting(connection: RedisConnection, k: StreamKeys, lastDeliveredId: string, query: JobListQuery): Promise<Page> {
  // Whichever is later: the cursor, or the group's position (it moves on between pages).
  const after = query.cursor !== undefined && compareEntryIds(query.cursor, lastDeliveredId) > 0 ? query.cursor : lastDeliveredId;
  const rows = await connection.send<[string, string[]][]>(['XRANGE', k.stream, `(${after}`, '+', 'COUNT', query.limit + 1]);
  const jobs = rows.slice(0, query.limit).map(([entryId, fields]) => ({ entryId, state: 'waiting' as const, messageId: fieldsToObject(fields).id, deliveries: 0 }));
  return { jobs, nextCursor: rows.length > query.limit ? jobs[jobs.length - 1].entryId : null };
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

async function listPending(connection: RedisConnection, k: StreamKeys, group: string, state: 'active' | 'retrying', query: JobListQuery): Promise<Page> {
  const jobs: JobListItem[] = [];
  let start = query.cursor === undefined ? '-' : `(${query.cursor}`;
  for (let page = 0; page < MAX_PAGES; page++) {
    const rows = await connection.send<PendingRow[]>(['XPENDING', k.stream, group, start, '+', PAGE_SIZE]);
    const tracking = await Promise.all(rows.map(([id]) => connection.send<string[]>(['HGETALL', k.job(id)])));
    for (let i = 0; i < rows.length; i++) {
      const [entryId, consumer, idleMs, deliveries] = rows[i];
      const tracked = readTrackedJob(fieldsToObject(tracking[i]), group);
      if (pendingState(tracked, Number(deliveries)) !== state) continue;
      jobs.push({
        entryId, state, group, consumer, deliveries: Number(deliveries), idleMs: Number(idleMs),
        ...(state === 'retrying' && { error: tracked.error, ...(tracked.retryAt !== undefined && { dueAt: tracked.retryAt }) }),
      });
      if (jobs.length === query.limit) return { jobs, nextCursor: entryId };
    }
    if (rows.length < PAGE_SIZE) return { jobs, nextCursor: null };
    start = `(${rows[rows.length - 1][0]}`;
  }
  // Read as much as one call may; the caller goes on from here.
  return { jobs, nextCursor: start.slice(1) };
}

async function listDelayed(connection: RedisConnection, k: StreamKeys, query: JobListQuery): Promise<Page> {
  // Cursor `<dueAt>/<member>`: the zset orders equal scores by member, so both are needed.
  const [cursorScore, cursorMember] = query.cursor === undefined ? [undefined, undefined] : splitDelayedCursor(query.cursor);
  const jobs: JobListItem[] = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const reply = await connection.send<string[]>(['ZRANGE', k.delayed, cursorScore ?? '-inf', '+inf', 'BYSCORE', 'LIMIT', offset, PAGE_SIZE, 'WITHSCORES']);
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const member = reply[i];
      const dueAt = Number(reply[i + 1]);
      if (cursorScore !== undefined && dueAt === Number(cursorScore) && member <= cursorMember!) continue;
      jobs.push({ entryId: `delayed:${member}`, state: 'delayed', messageId: member, deliveries: 0, dueAt });
      if (jobs.length === query.limit) {
        const more = i + 2 < reply.length || reply.length === 2 * PAGE_SIZE;
        return { jobs, nextCursor: more ? `${dueAt}/${member}` : null };
      }
    }
    if (reply.length < 2 * PAGE_SIZE) return { jobs, nextCursor: null };
  }
}

async function listDeadLettered(connection: RedisConnection, keys: KeyBuilder, stream: string, query: JobListQuery, withPriority = false): Promise<Page> {
  const jobs: JobListItem[] = [];
  let after = query.cursor;
  for (let page = 0; page < MAX_PAGES; page++) {
    const letters = await readDeadLetters(connection, keys, stream, { after, limit: PAGE_SIZE });
    for (const letter of letters) {
      if (query.group !== undefined && letter.group !== query.group) continue;
      if (query.priority !== undefined && letter.priority !== query.priority) continue;
      jobs.push({
        entryId: letter.originalId ?? letter.id, state: 'dead-lettered', ...(letter.group !== null && { group: letter.group }),
        ...(letter.messageId !== null && { messageId: letter.messageId }), deliveries: letter.deliveries ?? 0,
        ...(letter.error !== null && { error: letter.error }), deadLetterId: letter.id, ...(withPriority && { priority: letter.priority }),
      });
      if (jobs.length === query.limit) return { jobs, nextCursor: letter.id };
    }
    if (letters.length < PAGE_SIZE) return { jobs, nextCursor: null };
    after = letters[letters.length - 1].id;
  }
  return { jobs, nextCursor: after ?? null };
}

function splitDelayedCursor(cursor: string): [string, string] {
  const slash = cursor.indexOf('/');
  if (slash < 1 || !Number.isFinite(Number(cursor.slice(0, slash)))) throw new InvalidOptionError('cursor', cursor, 'a nextCursor of an earlier delayed page');
  return [cursor.slice(0, slash), cursor.slice(slash + 1)];
}
