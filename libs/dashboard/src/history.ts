/**
 * Recent history of every stream for the charts: entries added, and per group pending, lag
 * and entries read, sampled every `intervalMs` — but only while someone has looked at the
 * dashboard in the last few minutes, so an embedded dashboard nobody opens costs Redis nothing.
 */
import { listStreams, readEntriesAdded, readStreamStats, type KeyBuilder, type RedisConnection } from '@redstream/core';

export interface GroupSample {
  pending: number;
  lag: number | null;
  entriesRead: number | null;
}

export interface StreamSample {
  at: number;
  entriesAdded: number;
  groups: Record<string, GroupSample>;
}

/** Chart series: per second rates derived from consecutive samples, and levels as sampled. */
export interface StreamSeries {
  stream: string;
  intervalMs: number;
  /** Since when samples exist (the dashboard started looking then). */
  since: number | null;
  at: number[];
  published: (number | null)[];
  groups: Record<string, { processed: (number | null)[]; pending: (number | null)[]; lag: (number | null)[] }>;
}

/** Sampling stops this long after the last page view or poll. */
const IDLE_AFTER_MS = 5 * 60_000;

export class StreamHistory {
  private readonly samples = new Map<string, StreamSample[]>();
  private timer: NodeJS.Timeout | undefined;
  private lastViewed = 0;
  private sampling = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly intervalMs: number,
    private readonly keepMs: number,
  ) {}

  /** A page or poll was served: keep sampling (start if stopped). */
  touch(): void {
    this.lastViewed = Date.now();
    if (this.timer) return;
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
    void this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  series(stream: string): StreamSeries {
    const samples = this.samples.get(stream) ?? [];
    const groupNames = [...new Set(samples.flatMap((s) => Object.keys(s.groups)))];
    const series: StreamSeries = { stream, intervalMs: this.intervalMs, since: samples[0]?.at ?? null, at: [], published: [], groups: {} };
    for (const name of groupNames) series.groups[name] = { processed: [], pending: [], lag: [] };
    samples.forEach((sample, i) => {
      const previous = samples[i - 1];
      const seconds = previous ? (sample.at - previous.at) / 1_000 : 0;
      series.at.push(sample.at / 1_000);
      series.published.push(previous ? rate(sample.entriesAdded - previous.entriesAdded, seconds) : null);
      for (const name of groupNames) {
        const group = sample.groups[name];
        const before = previous?.groups[name];
        const out = series.groups[name];
        out.pending.push(group?.pending ?? null);
        out.lag.push(group?.lag ?? null);
        // Acknowledged (or dead-lettered) per second: what the group read minus what it still holds.
        const processed =
          group && before && group.entriesRead !== null && before.entriesRead !== null
            ? rate(group.entriesRead - before.entriesRead - (group.pending - before.pending), seconds)
            : null;
        out.processed.push(processed);
      }
    });
    return series;
  }

  private async sample(): Promise<void> {
    if (Date.now() - this.lastViewed > IDLE_AFTER_MS) return this.stop();
    if (this.sampling) return;
    this.sampling = true;
    try {
      const names = await listStreams(this.connection, this.keys);
      await Promise.all(names.map((name) => this.sampleStream(name)));
      for (const name of this.samples.keys()) if (!names.includes(name)) this.samples.delete(name);
    } catch {
      // Redis unavailable for a moment: the charts get a gap, the pages show the error.
    } finally {
      this.sampling = false;
    }
  }

  private async sampleStream(name: string): Promise<void> {
    const [stats, entriesAdded] = await Promise.all([readStreamStats(this.connection, this.keys, name), readEntriesAdded(this.connection, this.keys.stream(name))]);
    const groups: Record<string, GroupSample> = {};
    for (const g of stats.groups) groups[g.name] = { pending: g.pending, lag: g.lag, entriesRead: g.entriesRead };
    const list = this.samples.get(name) ?? [];
    const at = Date.now();
    list.push({ at, entriesAdded, groups });
    while (list.length > 0 && list[0].at < at - this.keepMs) list.shift();
    this.samples.set(name, list);
  }
}

function rate(delta: number, seconds: number): number | null {
  return seconds > 0 ? Math.max(0, delta) / seconds : null;
}
