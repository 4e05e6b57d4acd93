/** Human output: durations like `3m12s`, truncated peeks, and cli-table3 tables. */
import Table from 'cli-table3';

/** 450ms, 12s, 3m12s, 2h05m, 3d04h: two units at most, the way an operator reads an idle time. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const seconds = Math.floor(ms / 1_000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${pad(seconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${pad(minutes % 60)}m`;
  return `${Math.floor(hours / 24)}d${pad(hours % 24)}h`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function formatAge(sinceMs: number | null, now = Date.now()): string {
  return sinceMs === null ? '-' : `${formatDuration(now - sinceMs)} ago`;
}

export function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** No colours and no rule between rows: reads the same in a terminal, a pipe and a log, one line per row. */
const PLAIN = { style: { head: [], border: [] }, chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' } };

export function renderTable(head: string[], rows: (string | number)[][]): string {
  const table = new Table({ ...PLAIN, head });
  for (const row of rows) table.push(row.map(String));
  return table.toString();
}

/** Aligned `label  value` lines for one record (`dlq show`); multi-line values stay indented under their value. */
export function renderRecord(rows: readonly [string, string][]): string {
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => label.padEnd(width) + value.split('\n').join(`\n${' '.repeat(width)}`)).join('\n');
}
