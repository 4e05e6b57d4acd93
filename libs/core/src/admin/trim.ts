/**
 * Retention by hand. `trimSafely` applies the core's own safe rule (trim-acked-1.lua, the
 * rule of RetentionTrimmer): nothing at or after what any group still has pending or unread.
 */
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { Scripts } from '../redis/scripts.js';

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
  { exact = false, dryRun = false }: { exact?: boolean; dryRun?: boolean } = {},
): Promise<SafeTrimResult> {
  const args = [exact ? '=' : '~'];
  if (dryRun) args.push('dry-run');
  const [trimmed, minId] = await Scripts.trimAcked.run<[number, string]>(connection, [keys.stream(stream)], args);
  return { trimmed, minId: minId === '' ? null : minId };
}

/**
 * Counts the entries of a stream key with ids below `beforeId` (exclusive), in pages, for
 * dry runs; Redis has no cheaper count of an id range.
 */
export async function countEntriesBefore(
  connection: RedisConnection,
  streamKey: string,
  beforeId: string,
  onPage?: (countedSoFar: number) => void,
): Promise<number> {
  let counted = 0;
  let start = '-';
  for (;;) {
    const rows = await connection.send<[string, unknown][]>(['XRANGE', streamKey, start, `(${beforeId}`, 'COUNT', COUNT_PAGE]);
    counted += rows.length;
    onPage?.(counted);
    if (rows.length < COUNT_PAGE) return counted;
    start = `(${rows[rows.length - 1][0]}`;
  }
}
