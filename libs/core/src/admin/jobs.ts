/**
 * Messages of one stream by state, a page at a time, read from where Redis keeps each
 * state: `waiting` is XRANGE after the group's last-delivered id, `active` and `retrying`
 * the group's pending list (XPENDING) told apart by the tracking hash (job-status.ts),
 * `delayed` the delayed zset by due time, `dead-lettered` the dead-letter stream. `completed`
 * has no list: Redis forgets an entry once it is acked. The cursor is opaque; pass
 * `nextCursor` back for the next page (null when there is none). A filtered list (active,
 * retrying, one group's dead letters) does not look ahead, so its last page may be empty.
 */
import { compareEntryIds } from '../entry-ids.js';
import { fieldsToObject } from '../envelope.js';
import { InvalidOptionError } from '../errors/index.js';
import type { KeyBuilder, StreamKeys } from '../keys.js';
import { readTrackedJob } from '../lifecycle/job-tracker.js';
import type { RedisConnection } from '../redis/connection.js';
import { validateStreamName } from '../validation.js';
import { readDeadLetters } from './dead-letters.js';
import { pendingState } from './job-status.js';
import { resolveGroup } from './stream-stats.js';

export const LISTABLE_JOB_STATES = ['waiting', 'active', 'retrying', 'delayed', 'dead-lettered'] as const;
export type ListableJobState = (typeof LISTABLE_JOB_STATES)[number];

export interface JobListQuery {
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
  const k = keys.forStream(stream);
  switch (query.state) {
    case 'delayed':
      return { stream, state: 'delayed', ...(await listDelayed(connection, k, query)) };
    case 'dead-lettered':
      return { stream, state: 'dead-lettered', ...(query.group !== undefined && { group: query.group }), ...(await listDeadLettered(connection, keys, stream, query)) };
    default: {
      const group = await resolveGroup(connection, keys, stream, query.group);
      const page = query.state === 'waiting'
        ? await listWaiting(connection, k, group.lastDeliveredId, query)
        : await listPending(connection, k, group.name, query.state, query);
      return { stream, state: query.state, group: group.name, ...page };
    }
  }
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

async function listDeadLettered(connection: RedisConnection, keys: KeyBuilder, stream: string, query: JobListQuery): Promise<Page> {
  const jobs: JobListItem[] = [];
  let after = query.cursor;
  for (let page = 0; page < MAX_PAGES; page++) {
    const letters = await readDeadLetters(connection, keys, stream, { after, limit: PAGE_SIZE });
    for (const letter of letters) {
      if (query.group !== undefined && letter.group !== query.group) continue;
      jobs.push({
        entryId: letter.originalId ?? letter.id, state: 'dead-lettered', ...(letter.group !== null && { group: letter.group }),
        ...(letter.messageId !== null && { messageId: letter.messageId }), deliveries: letter.deliveries ?? 0,
        ...(letter.error !== null && { error: letter.error }), deadLetterId: letter.id,
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
