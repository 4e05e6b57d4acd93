/**
 * Which dead letters an operator means (by id, or every one matching a group / reason
 * filter) and what replaying or purging them does, shared by the CLI (`dlq`) and the
 * dashboard so both touch exactly the same entries and report the same counts.
 */
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { countDeadLetters, deleteDeadLetters, lastDeadLetterId, readDeadLetter, readDeadLetters, replayDeadLetter, type DeadLetter } from './dead-letters.js';

export interface DeadLetterFilter {
  group?: string;
  reason?: string;
}

/** The dead letters an action applies to: these ids, or every one matching the filter. */
export type DeadLetterSelection = { ids: readonly string[] } | { filter: DeadLetterFilter; limit?: number };

export interface ReplayCounts {
  replayed: number;
  /** Removed because their original entry had been replayed before (another group's dead letter, an earlier run). */
  alreadyReplayed: number;
  /** No longer in the dead-letter stream when their turn came (replayed or purged meanwhile). */
  gone: number;
  /** Ids named that were not in the dead-letter stream at all. */
  notFound: number;
}

export interface DeadLetterPageResult {
  deadLetters: DeadLetter[];
  /** Cursor for the next page (pass as `after`); undefined at the end. */
  next?: string;
}

/** Dead letters read per round trip while scanning for a filter. */
const SCAN_PAGE = 500;

export function matchesDeadLetterFilter(deadLetter: DeadLetter, filter: DeadLetterFilter): boolean {
  return (!filter.group || deadLetter.group === filter.group) && (!filter.reason || deadLetter.reason === filter.reason);
}

/**
 * Pages of dead letters matching the filter, oldest first, up to `limit`. It stops at the
 * newest dead letter present when it starts, so messages that fail again while being
 * replayed are not replayed in a loop.
 */
export async function* scanDeadLetters(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  filter: DeadLetterFilter,
  { limit = Infinity, pageSize = SCAN_PAGE, from }: { limit?: number; pageSize?: number; from?: string } = {},
): AsyncGenerator<DeadLetter[]> {
  const until = await lastDeadLetterId(connection, keys, stream);
  if (until === undefined) return;
  let after: string | undefined;
  let start = from;
  let yielded = 0;
  while (yielded < limit) {
    const page = await readDeadLetters(connection, keys, stream, { after, from: start, until, limit: pageSize });
    start = undefined;
    if (page.length === 0) return;
    after = page[page.length - 1].id;
    const matching = page.filter((d) => matchesDeadLetterFilter(d, filter)).slice(0, limit - yielded);
    yielded += matching.length;
    if (matching.length > 0) yield matching;
    if (page.length < pageSize) return;
  }
}

/** The named dead letters in pages, skipping (and counting in `notFound`) ids not in the dead-letter stream. */
export async function* deadLettersById(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  ids: readonly string[],
  counts: { notFound: number },
  pageSize = SCAN_PAGE,
): AsyncGenerator<DeadLetter[]> {
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += pageSize) {
    const found = await Promise.all(unique.slice(i, i + pageSize).map((id) => readDeadLetter(connection, keys, stream, id)));
    const page = found.filter((d): d is DeadLetter => d !== undefined);
    counts.notFound += found.length - page.length;
    if (page.length > 0) yield page;
  }
}

export function selectDeadLetters(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  selection: DeadLetterSelection,
  counts: { notFound: number } = { notFound: 0 },
  pageSize = SCAN_PAGE,
): AsyncGenerator<DeadLetter[]> {
  return 'ids' in selection
    ? deadLettersById(connection, keys, stream, selection.ids, counts, pageSize)
    : scanDeadLetters(connection, keys, stream, selection.filter, { limit: selection.limit, pageSize });
}

/** How many dead letters a selection touches right now (what a confirmation shows). */
export async function countSelectedDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string, selection: DeadLetterSelection): Promise<number> {
  if ('filter' in selection && !selection.filter.group && !selection.filter.reason) {
    // Every dead letter: XLEN, not a scan of the whole dead-letter stream.
    const length = await countDeadLetters(connection, keys, stream);
    return Math.min(length, selection.limit ?? Infinity);
  }
  let count = 0;
  for await (const page of selectDeadLetters(connection, keys, stream, selection)) count += page.length;
  return count;
}

/**
 * One page of matching dead letters after `after`, for a paginated view. Scans at most
 * `scanLimit` dead letters so a rare filter over a long dead-letter stream answers quickly;
 * `next` then continues the scan.
 */
export async function readDeadLetterPage(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  { filter, after, limit, scanLimit = 10_000 }: { filter: DeadLetterFilter; after?: string; limit: number; scanLimit?: number },
): Promise<DeadLetterPageResult> {
  const deadLetters: DeadLetter[] = [];
  let cursor = after;
  let scanned = 0;
  while (deadLetters.length < limit && scanned < scanLimit) {
    const pageSize = Math.min(SCAN_PAGE, scanLimit - scanned);
    const page = await readDeadLetters(connection, keys, stream, { after: cursor, limit: pageSize });
    let consumed = 0;
    for (const deadLetter of page) {
      consumed += 1;
      cursor = deadLetter.id;
      if (!matchesDeadLetterFilter(deadLetter, filter)) continue;
      deadLetters.push(deadLetter);
      if (deadLetters.length === limit) break;
    }
    scanned += consumed;
    // The end of the dead-letter stream, with every entry of the short page looked at.
    if (page.length < pageSize && consumed === page.length) return { deadLetters };
  }
  const more = await readDeadLetters(connection, keys, stream, { after: cursor, limit: 1 });
  return { deadLetters, next: more.length > 0 ? cursor : undefined };
}

/**
 * Replays the selected dead letters, one atomic Lua step each (pipelined per page).
 * `onPage` reports progress and may wait (rate limiting) before the next page.
 */
export async function replayDeadLetters(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  selection: DeadLetterSelection,
  { pageSize = 100, onPage }: { pageSize?: number; onPage?: (processed: number) => Promise<void> | void } = {},
): Promise<ReplayCounts> {
  const counts: ReplayCounts = { replayed: 0, alreadyReplayed: 0, gone: 0, notFound: 0 };
  let processed = 0;
  for await (const page of selectDeadLetters(connection, keys, stream, selection, counts, pageSize)) {
    const outcomes = await Promise.all(page.map((deadLetter) => replayDeadLetter(connection, keys, stream, deadLetter)));
    for (const outcome of outcomes) {
      if (outcome.status === 'replayed') counts.replayed += 1;
      else if (outcome.status === 'already-replayed') counts.alreadyReplayed += 1;
      else counts.gone += 1;
    }
    processed += page.length;
    await onPage?.(processed);
  }
  return counts;
}

/** Deletes the selected dead letters; returns how many were deleted. */
export async function purgeDeadLetters(connection: RedisConnection, keys: KeyBuilder, stream: string, selection: DeadLetterSelection): Promise<number> {
  if ('ids' in selection) return selection.ids.length === 0 ? 0 : deleteDeadLetters(connection, keys, stream, [...new Set(selection.ids)]);
  let deleted = 0;
  for await (const page of scanDeadLetters(connection, keys, stream, selection.filter, { limit: selection.limit })) {
    deleted += await deleteDeadLetters(connection, keys, stream, page.map((d) => d.id));
  }
  return deleted;
}
