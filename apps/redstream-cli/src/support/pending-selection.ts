/**
 * Table rendering of pending entries and skipped ids for `claim` and `ack`; which ids are
 * pending is decided by the core (selectPendingEntries), shared with the dashboard.
 */
import type { PendingEntry, SkippedEntry } from '@redstream/core';
import { formatDuration, renderTable } from './format.js';

export function renderPendingEntries(entries: readonly PendingEntry[]): string {
  return renderTable(['id', 'consumer', 'idle', 'deliveries'], entries.map((e) => [e.id, e.consumer, formatDuration(e.idleMs), e.deliveries]));
}

export function describeSkipped(skipped: readonly SkippedEntry[]): string {
  const reasons = { 'not-pending': 'not pending in the group', 'idle-below-min': 'idle less than --min-idle' };
  return skipped.map((s) => `${s.id} (${reasons[s.reason]})`).join(', ');
}
