/** Display formatting for the pages: counts with separators, durations, ages, previews. */
const COUNT = new Intl.NumberFormat('en-US');

export function formatCount(n: number | null | undefined): string {
  return n === null || n === undefined ? 'unknown' : COUNT.format(n);
}

/** 950ms, 12.3s, 4m 05s, 3h 10m, 2d 4h. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h ${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3_600)}h`;
}

export function formatAge(at: number | null, now = Date.now()): string {
  return at === null ? '-' : `${formatDuration(Math.max(0, now - at))} ago`;
}

export function formatTime(at: number | null): string {
  return at === null ? '-' : new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** The time part of a stream entry id (`ms-seq`). */
export function entryIdTime(id: string): number {
  return Number(id.split('-')[0]);
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** JSON indented when the text is JSON, else the text as it is. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
