/**
 * Inspection and replay of a stream's dead letters (`rs:{stream}:dlq`). Replay is one Lua
 * step per dead letter (replay-dead-letter-3.lua): re-publish, mark, delete — so an
 * interrupted replay never loses nor duplicates a message, and running it again finishes it.
 */
import { DEFAULTS } from '../constants.js';
import { DEAD_LETTER_FIELDS } from '../consumer/dead-letter.js';
import { PRIORITY_LEVELS, type KeyBuilder, type PriorityLevel } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

export interface DeadLetter {
  /** Entry id in the dead-letter stream. */
  id: string;
  /** Entry id the message had in the stream when it failed. */
  originalId: string | null;
  /** The message id (`id` field): the idempotency key or a UUID. */
  messageId: string | null;
  group: string | null;
  consumer: string | null;
  deliveries: number | null;
  reason: string | null;
  error: string | null;
  stack: string | null;
  failedAt: number | null;
  /** The level stream it failed on (`dlqPriority`); replay goes back to it. */
  priority: PriorityLevel;
  /** The original fields of the message, without the dlq* details. */
  fields: Record<string, string>;
}

export interface DeadLetterPage {
  /** Start after this dead-letter id (exclusive); from the oldest when absent. */
  after?: string;
  /** Start at this dead-letter id (inclusive), when `after` is absent. */
  from?: string;
  /** Stop at this dead-letter id (inclusive); to the newest when absent. */
  until?: string;
  limit: number;
}

export type ReplayOutcome =
  | { status: 'replayed'; entryId: string }
  /** Its original entry was replayed before (by an earlier run or from another group's dead letter). */
  | { status: 'already-replayed'; entryId: string }
  /** It was no longer in the dead-letter stream (replayed or purged meanwhile). */
  | { status: 'gone' };

const DETAIL_FIELDS: ReadonlySet<string> = new Set(DEAD_LETTER_FIELDS);

/** How many dead letters the stream has (XLEN of its dead-letter stream). */
export function countDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<number> {
  return connection.send<number>(['XLEN', keys.forStream(stream).deadLetter]);
}

export async function readDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string, page: DeadLetterPage): Promise<DeadLetter[]> {
  const start = page.after !== undefined ? `(${page.after}` : (page.from ?? '-');
  const rows = await connection.send<[string, string[]][]>(['XRANGE', keys.forStream(stream).deadLetter, start, page.until ?? '+', 'COUNT', page.limit]);
  return rows.map(([id, fields]) => toDeadLetter(id, fields));
}

export async function readDeadLetter(connection: RedisConnection, keys: KeyBuilder, stream: string, id: string): Promise<DeadLetter | undefined> {
  const rows = await connection.send<[string, string[]][]>(['XRANGE', keys.forStream(stream).deadLetter, id, id]);
  return rows.length === 0 ? undefined : toDeadLetter(rows[0][0], rows[0][1]);
}

/** Id of the newest dead letter, or undefined when there is none: the end of a replay. */
export async function lastDeadLetterId(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<string | undefined> {
  const rows = await connection.send<[string, string[]][]>(['XREVRANGE', keys.forStream(stream).deadLetter, '+', '-', 'COUNT', 1]);
  return rows[0]?.[0];
}

/**
 * Re-publishes one dead letter to its stream (the priority level it failed on) and removes it from the dead-letter stream.
 * The replay mark is keyed by the original entry id and lives `markTtlMs`.
 */
export async function replayDeadLetter(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  deadLetter: Pick<DeadLetter, 'id' | 'originalId'> & Partial<Pick<DeadLetter, 'priority'>>,
  markTtlMs: number = DEFAULTS.dedupe.ttlMs,
): Promise<ReplayOutcome> {
  const k = keys.forStream(stream).level(deadLetter.priority ?? 'normal');
  const { entryId, replayed } = await LuaSteps.replayDeadLetter(
    connection,
    { stream: k.stream, deadLetter: k.deadLetter, replayMark: k.replayed(deadLetter.originalId ?? deadLetter.id) },
    { deadLetterId: deadLetter.id, markTtlMs, stripFields: DEAD_LETTER_FIELDS },
  );
  if (entryId === null) return { status: 'gone' };
  return { status: replayed ? 'replayed' : 'already-replayed', entryId };
}

/** Deletes the given dead letters; returns how many existed. */
export function deleteDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string, ids: readonly string[]): Promise<number> {
  return connection.send<number>(['XDEL', keys.forStream(stream).deadLetter, ...ids]);
}

/** Deletes every dead letter older than `minId` (all of them without it); returns how many. */
export function trimDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string, minId?: string): Promise<number> {
  const key = keys.forStream(stream).deadLetter;
  return connection.send<number>(minId === undefined ? ['XTRIM', key, 'MAXLEN', '=', 0] : ['XTRIM', key, 'MINID', '=', minId]);
}

/** Written by another program, an unknown level is replayed to the stream itself (`normal`). */
function toPriority(value: string | undefined): PriorityLevel {
  return value !== undefined && (PRIORITY_LEVELS as readonly string[]).includes(value) ? (value as PriorityLevel) : 'normal';
}

function toDeadLetter(id: string, raw: readonly string[]): DeadLetter {
  const fields: Record<string, string> = {};
  const details: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (DETAIL_FIELDS.has(raw[i])) details[raw[i]] = raw[i + 1];
    else fields[raw[i]] = raw[i + 1];
  }
  return {
    id,
    originalId: details.dlqOriginalId ?? null,
    messageId: fields.id ?? null,
    group: details.dlqGroup ?? null,
    consumer: details.dlqConsumer ?? null,
    deliveries: details.dlqDeliveries === undefined ? null : Number(details.dlqDeliveries),
    reason: details.dlqReason ?? null,
    error: details.dlqError ?? null,
    stack: details.dlqStack ?? null,
    failedAt: details.dlqFailedAt === undefined ? null : Number(details.dlqFailedAt),
    priority: toPriority(details.dlqPriority),
    fields,
  };
}
