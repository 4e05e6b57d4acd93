/**
 * Which of the ids an operator named are actually pending in the group (claim, ack), shared
 * by the CLI and the dashboard: the rest are reported as skipped with the reason, never
 * silently ignored.
 */
import type { KeyBuilder, PriorityLevel } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { ackPendingEntries, claimPendingEntries, readPendingEntriesById, type PendingEntry } from './pending.js';

export interface SkippedEntry {
  id: string;
  reason: 'not-pending' | 'idle-below-min';
}

export interface PendingSelection {
  selected: PendingEntry[];
  skipped: SkippedEntry[];
}

export interface ClaimResult {
  /** Entries moved to the consumer. */
  claimed: PendingEntry[];
  skipped: SkippedEntry[];
}

export async function selectPendingEntries(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  group: string,
  ids: readonly string[],
  minIdleMs = 0,
  priority: PriorityLevel = 'normal',
): Promise<PendingSelection> {
  const found = await readPendingEntriesById(connection, keys, stream, group, [...new Set(ids)], priority);
  const selection: PendingSelection = { selected: [], skipped: [] };
  for (const [id, entry] of found) {
    if (entry === undefined) selection.skipped.push({ id, reason: 'not-pending' });
    else if (entry.idleMs < minIdleMs) selection.skipped.push({ id, reason: 'idle-below-min' });
    else selection.selected.push(entry);
  }
  return selection;
}

/**
 * XCLAIMs the selected entries for `consumer`. An entry acked or claimed by a worker between
 * the selection and XCLAIM is not moved and is reported as skipped.
 */
export async function claimSelection(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  group: string,
  consumer: string,
  selection: PendingSelection,
  minIdleMs = 0,
  priority: PriorityLevel = 'normal',
): Promise<ClaimResult> {
  const candidates = selection.selected.map((e) => e.id);
  const moved = new Set(candidates.length === 0 ? [] : await claimPendingEntries(connection, keys, stream, group, consumer, candidates, minIdleMs, priority));
  const raced = candidates.filter((id) => !moved.has(id)).map((id): SkippedEntry => ({ id, reason: 'not-pending' }));
  return { claimed: selection.selected.filter((e) => moved.has(e.id)), skipped: [...selection.skipped, ...raced] };
}

/** XACKs the selected entries; returns XACK's count (lower than selected when a worker acked some meanwhile). */
export function ackSelection(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string, selection: PendingSelection, priority: PriorityLevel = 'normal'): Promise<number> {
  const ids = selection.selected.map((e) => e.id);
  return ids.length === 0 ? Promise.resolve(0) : ackPendingEntries(connection, keys, stream, group, ids, priority);
}
