/**
 * The ConsumerObserver that turns what one consumer does into Prometheus metrics. Handled
 * messages (every message) go to per-stream tallies that the registry reads at scrape
 * time; the rare events (reclaims, trims, drops) increment prom-client counters directly.
 */
import type { Counter } from 'prom-client';
import type { ConsumerObserver, HandledOutcome } from '../consumer/received-message.js';
import { HandledTally } from './handled-tally.js';
import { streamLabels } from './stream-labels.js';

export interface EventCounters {
  reclaimed: Counter<'stream' | 'partition' | 'group'>;
  deletedOnClaim: Counter<'stream' | 'partition' | 'group'>;
  trimmed: Counter<'stream' | 'partition'>;
  unreadDropped: Counter<'stream' | 'partition'>;
  deadLetterDropped: Counter<'stream' | 'partition'>;
  permissionRefused: Counter<'group' | 'step'>;
  rateLimitWait: Counter<'stream' | 'partition' | 'group'>;
}

export class MetricsObserver implements ConsumerObserver {
  readonly tallies = new Map<string, HandledTally>();

  constructor(
    private readonly counters: EventCounters,
    readonly group: string,
    private readonly durationBuckets: readonly number[],
  ) {}

  handled(stream: string, outcome: HandledOutcome, durationMs: number): void {
    let tally = this.tallies.get(stream);
    if (tally === undefined) {
      tally = new HandledTally(stream, this.group, this.durationBuckets);
      this.tallies.set(stream, tally);
    }
    tally.record(outcome, durationMs);
  }

  reclaimed(stream: string, count: number): void {
    this.counters.reclaimed.inc({ ...streamLabels(stream), group: this.group }, count);
  }

  deletedOnClaim(stream: string, count: number): void {
    this.counters.deletedOnClaim.inc({ ...streamLabels(stream), group: this.group }, count);
  }

  trimmed(stream: string, count: number): void {
    this.counters.trimmed.inc(streamLabels(stream), count);
  }

  unreadDropped(stream: string, count: number): void {
    this.counters.unreadDropped.inc(streamLabels(stream), count);
  }

  deadLetterDropped(stream: string, count: number): void {
    this.counters.deadLetterDropped.inc(streamLabels(stream), count);
  }

  permissionRefused(step: string): void {
    this.counters.permissionRefused.inc({ group: this.group, step });
  }

  rateLimitWaited(stream: string, seconds: number): void {
    this.counters.rateLimitWait.inc({ ...streamLabels(stream), group: this.group }, seconds);
  }
}
