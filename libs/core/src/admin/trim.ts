/**
 * Retention by hand. `trimSafely` applies the core's own safe rule (trim-acked-1.lua, the
 * rule of RetentionTrimmer): nothing at or after what any group still has pending or unread.
 * `priority` picks a level's stream (default the stream itself); a partition is its own stream name.
 */
import type { KeyBuilder, PriorityLevel } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

/** XRANGE page size when counting; ids and fields of 5,000 entries per round trip. */
const COUNT_PAGE = 5_000;

export interface SafeTrimResult {
  /** Entries removed (0 on a dry run). */
  trimmed: number;
  /** The oldest entry id some group still needs; null when the stream has no group (nothing is trimmed). */
  minId: string | null;
}

export async function trimSafely(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  { exact = false, dryRun = false, priority = 'normal' }: { exact?: boolean; dryRun?: boolean; priority?: PriorityLevel } = {},
): Promise<SafeTrimResult> {
  return LuaSteps.trimAcked(connection, { stream: keys.levelStream(stream, priority) }, { exact, dryRun });
}

/**
 * Counts the entries of a stream key in an id range (`from` inclusive, `before` exclusive),
 * in pages, for dry runs and safety checks; Redis has no cheaper count of an id range.
 * Stops early once `stopAt` entries are counted.
 */
export async function countEntries(
  connection: RedisConnection,
  streamKey: string,
  range: { from?: string; before?: string },
  { stopAt = Infinity, onPage }: { stopAt?: number; onPage?: (countedSoFar: number) => void } = {},
): Promise<number> {
  let counted = 0;
  let start = range.from ?? '-';
  const end = range.before === undefined ? '+' : `(${range.before}`;
  while (counted < stopAt) {
    const rows = await connection.send<[string, unknown][]>(['XRANGE', streamKey, start, end, 'COUNT', COUNT_PAGE]);
    counted += rows.length;
    onPage?.(counted);
    if (rows.length < COUNT_PAGE) break;
    start = `(${rows[rows.length - 1][0]}`;
  }
  return Math.min(counted, stopAt);
}

/**
 * A hard cap by hand (XTRIM MAXLEN or MINID): may remove entries groups have not read or
 * acked yet — callers compare with `trimSafely(..., { dryRun: true })` to warn about it.
 */
export function trimStream(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  limit: { maxLen: number } | { minId: string },
  { exact = false, priority = 'normal' }: { exact?: boolean; priority?: PriorityLevel } = {},
): Promise<number> {
  const precision = exact ? '=' : '~';
  const [strategy, threshold] = 'maxLen' in limit ? ['MAXLEN', limit.maxLen] : ['MINID', limit.minId];
  return connection.send<number>(['XTRIM', keys.levelStream(stream, priority), strategy, precision, threshold]);
}

/** Whether a stream key exists and its length (XLEN): one stream, not the sum over its levels. */
export async function readStreamLength(connection: RedisConnection, streamKey: string): Promise<{ exists: boolean; length: number }> {
  const [exists, length] = await Promise.all([connection.send<number>(['EXISTS', streamKey]), connection.send<number>(['XLEN', streamKey])]);
  return { exists: exists === 1, length };
}

export interface SafeTrimPreview {
  /** The oldest entry id some group still needs; null when the stream has no group. */
  minId: string | null;
  /** Entries an exact safe trim removes right now (those before `minId`). */
  removable: number;
}

/** What an exact `trimSafely` would remove now, counted without removing anything. */
export async function previewSafeTrim(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  onPage?: (countedSoFar: number) => void,
): Promise<SafeTrimPreview> {
  const { minId } = await trimSafely(connection, keys, stream, { dryRun: true });
  if (minId === null) return { minId, removable: 0 };
  return { minId, removable: await countEntries(connection, keys.stream(stream), { before: minId }, { onPage }) };
}
