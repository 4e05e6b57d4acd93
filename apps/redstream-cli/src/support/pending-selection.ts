/**
 * Which of the ids an operator named are actually pending in the group (claim, ack):
 * the rest are reported as skipped with the reason, never silently ignored.
 */
import { readPendingEntriesById, type PendingEntry } from '@redstream/core';
import type { AdminContext } from './admin-action.js';
import { formatDuration, renderTable } from './format.js';

export interface Skipped {
  id: string;
  reason: 'not-pending' | 'idle-below-min';
}

export interface PendingSelection {
  selected: PendingEntry[];
  skipped: Skipped[];
}

export async function selectPending(context: AdminContext, stream: string, group: string, ids: readonly string[], minIdleMs = 0): Promise<PendingSelection> {
  const found = await readPendingEntriesById(context.connection, context.keys, stream, group, [...new Set(ids)]);
  const selection: PendingSelection = { selected: [], skipped: [] };
  for (const [id, entry] of found) {
    if (entry === undefined) selection.skipped.push({ id, reason: 'not-pending' });
    else if (entry.idleMs < minIdleMs) selection.skipped.push({ id, reason: 'idle-below-min' });
    else selection.selected.push(entry);
  }
  return selection;
}

export function renderPendingEntries(entries: readonly PendingEntry[]): string {
  return renderTable(['id', 'consumer', 'idle', 'deliveries'], entries.map((e) => [e.id, e.consumer, formatDuration(e.idleMs), e.deliveries]));
}

export function describeSkipped(skipped: readonly Skipped[]): string {
  const reasons = { 'not-pending': 'not pending in the group', 'idle-below-min': 'idle less than --min-idle' };
  return skipped.map((s) => `${s.id} (${reasons[s.reason]})`).join(', ');
}
