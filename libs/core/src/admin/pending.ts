/**
 * Pending entries of one consumer group, read the way KEDA and operators see them:
 * the summary is XPENDING's summary form (its count is what KEDA's `pendingEntriesCount`
 * reads), the entries its extended form. Shared by the CLI and the metrics.
 */
import { fieldsToObject } from '../envelope.js';
import { UnknownGroupError, UnknownStreamError } from '../errors/index.js';
import { PRIORITY_LEVELS, type KeyBuilder, type PriorityLevel } from '../keys.js';
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';
import { readGroups, replyToRecord } from './stream-stats.js';

export interface PendingSummary {
  stream: string;
  key: string;
  group: string;
  count: number;
  minId: string | null;
  maxId: string | null;
  consumers: { name: string; pending: number }[];
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idleMs: number;
  deliveries: number;
}

export interface PendingEntriesQuery {
  /** Only entries pending on this consumer. */
  consumer?: string;
  /** Only entries idle at least this long (XPENDING IDLE). */
  minIdleMs?: number;
  /** At most this many entries, oldest first. */
  limit: number;
  /** Start after this entry id (exclusive), to page through a long list. */
  after?: string;
  /** The level stream to read; default the stream itself (`normal`). */
  priority?: PriorityLevel;
}

/** A group's pending count on each priority level's stream (what one KEDA trigger per level reads; KEDA sums them). */
export interface LevelPending {
  priority: PriorityLevel;
  key: string;
  count: number;
}

/** The group's pending count per level, for the levels whose stream has the group; empty when only the stream itself does. */
export async function readLevelPending(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string): Promise<LevelPending[]> {
  const levels = await Promise.all(
    PRIORITY_LEVELS.map(async (priority) => {
      const key = keys.levelStream(stream, priority);
      try {
        const [count] = await connection.send<[number]>(['XPENDING', key, group]);
        return { priority, key, count: Number(count) };
      } catch (error) {
        if (isErrorReply(error, 'NOGROUP') || isErrorReply(error, 'ERR no such key')) return undefined;
        throw error;
      }
    }),
  );
  const found = levels.filter((level): level is LevelPending => level !== undefined);
  return found.some((level) => level.priority !== 'normal') ? found : [];
}

export interface ConsumerInfo {
  name: string;
  pending: number;
  /** Time since the consumer last read or claimed (XINFO CONSUMERS `idle`). */
  idleMs: number;
}

/** XPENDING replies at most this many entries per call so one query never blocks Redis long. */
const PAGE_SIZE = 1_000;

/** `priority`: the level stream to read (`rs:{s}:high`, `rs:{s}`, `rs:{s}:low`); default the stream itself. */
export async function readPendingSummary(
  connection: RedisConnection, keys: KeyBuilder, stream: string, group: string, priority: PriorityLevel = 'normal',
): Promise<PendingSummary> {
  const key = keys.levelStream(stream, priority);
  const [count, minId, maxId, perConsumer] = await withGroupErrors(connection, keys, stream, group, () =>
    connection.send<[number, string | null, string | null, [string, string][] | null]>(['XPENDING', key, group]),
  );
  const consumers = (perConsumer ?? []).map(([name, pending]) => ({ name, pending: Number(pending) }));
  return { stream, key, group, count, minId, maxId, consumers };
}

export async function readPendingEntries(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  group: string,
  query: PendingEntriesQuery,
): Promise<PendingEntry[]> {
  const key = keys.levelStream(stream, query.priority ?? 'normal');
  const entries: PendingEntry[] = [];
  let start = query.after === undefined ? '-' : `(${query.after}`;
  while (entries.length < query.limit) {
    const count = Math.min(PAGE_SIZE, query.limit - entries.length);
    const args: (string | number)[] = ['XPENDING', key, group];
    if (query.minIdleMs !== undefined) args.push('IDLE', query.minIdleMs);
    args.push(start, '+', count);
    if (query.consumer !== undefined) args.push(query.consumer);
    const rows = await withGroupErrors(connection, keys, stream, group, () => connection.send<PendingRow[]>(args));
    for (const row of rows) entries.push(toPendingEntry(row));
    if (rows.length < count) break;
    start = `(${rows[rows.length - 1][0]}`;
  }
  return entries;
}

/** XINFO CONSUMERS: every consumer of the group with its pending count and idle time (on one level's stream; default the stream itself). */
export async function readConsumers(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string, priority: PriorityLevel = 'normal'): Promise<ConsumerInfo[]> {
  const rows = await withGroupErrors(connection, keys, stream, group, () =>
    connection.send<RedisReply[][]>(['XINFO', 'CONSUMERS', keys.levelStream(stream, priority), group]),
  );
  return rows.map((row) => {
    const info = replyToRecord(row);
    return { name: String(info.name), pending: Number(info.pending), idleMs: Number(info.idle) };
  });
}

type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

function toPendingEntry([id, consumer, idleMs, deliveries]: PendingRow): PendingEntry {
  return { id, consumer, idleMs: Number(idleMs), deliveries: Number(deliveries) };
}

/** Turns Redis' NOGROUP ("no such key or consumer group") and "no such key" into the precise error. */
async function withGroupErrors<T>(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string, query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    if (!isErrorReply(error, 'NOGROUP') && !isErrorReply(error, 'ERR no such key')) throw error;
    const key = keys.stream(stream);
    const groups = await readGroups(connection, key);
    if (groups === null) throw new UnknownStreamError(stream, key);
    throw new UnknownGroupError(stream, group, groups.map((g) => g.name));
  }
}

/** The fields of the given entries (null for an id no longer in the stream), to peek at payloads. */
export async function readEntriesById(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  ids: readonly string[],
  priority: PriorityLevel = 'normal',
): Promise<Map<string, Record<string, string> | null>> {
  const key = keys.levelStream(stream, priority);
  const replies = await Promise.all(ids.map((id) => connection.send<[string, string[]][]>(['XRANGE', key, id, id])));
  return new Map(ids.map((id, i) => [id, replies[i].length === 0 ? null : fieldsToObject(replies[i][0][1])]));
}

/** XPENDING of single ids: each id's pending entry, or undefined when the group does not have it pending (on `priority`'s stream). */
export async function readPendingEntriesById(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  group: string,
  ids: readonly string[],
  priority: PriorityLevel = 'normal',
): Promise<Map<string, PendingEntry | undefined>> {
  const key = keys.levelStream(stream, priority);
  const replies = await withGroupErrors(connection, keys, stream, group, () =>
    Promise.all(ids.map((id) => connection.send<PendingRow[]>(['XPENDING', key, group, id, id, 1]))),
  );
  return new Map(
    ids.map((id, i) => {
      const row = replies[i][0];
      return [id, row === undefined ? undefined : toPendingEntry(row)];
    }),
  );
}

/**
 * Moves pending entries to `consumer` (XCLAIM ... JUSTID, so an operator's move does not
 * count as a delivery); only entries idle at least `minIdleMs` move, on `priority`'s stream. Returns the ids moved.
 */
export function claimPendingEntries(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  group: string,
  consumer: string,
  ids: readonly string[],
  minIdleMs = 0,
  priority: PriorityLevel = 'normal',
): Promise<string[]> {
  return withGroupErrors(connection, keys, stream, group, () =>
    connection.send<string[]>(['XCLAIM', keys.levelStream(stream, priority), group, consumer, minIdleMs, ...ids, 'JUSTID']),
  );
}

/** XACK: the entries are done for the group; returns how many were pending (on `priority`'s stream). */
export function ackPendingEntries(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string, ids: readonly string[], priority: PriorityLevel = 'normal'): Promise<number> {
  return withGroupErrors(connection, keys, stream, group, () => connection.send<number>(['XACK', keys.levelStream(stream, priority), group, ...ids]));
}
