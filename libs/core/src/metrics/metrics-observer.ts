/**
 * The ConsumerObserver that turns what one consumer does into Prometheus metrics. Handled
 * messages (every message) go to per-stream tallies that the registry reads at scrape
 * time; the rare events (reclaims, trims, drops) increment prom-client counters directly.
 */
import type { Counter } from 'prom-client';
import type { ConsumerObserver, HandledOutcome } from '../consumer/received-message.js';
import { HandledTally } from './handled-tally.js';

export interface EventCounters {
  reclaimed: Counter<'stream' | 'group'>;
  deletedOnClaim: Counter<'stream' | 'group'>;
  trimmed: Counter<'stream'>;
  unreadDropped: Counter<'stream'>;
  deadLetterDropped: Counter<'stream'>;
  permissionRefused: Counter<'group' | 'step'>;
  rateLimitWait: Counter<'stream' | 'group'>;
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
    this.counters.reclaimed.inc({ stream, group: this.group }, count);
  }

  deletedOnClaim(stream: string, count: number): void {
    this.counters.deletedOnClaim.inc({ stream, group: this.group }, count);
  }

  trimmed(stream: string, count: number): void {
    this.counters.trimmed.inc({ stream }, count);
  }

  unreadDropped(stream: string, count: number): void {
    this.counters.unreadDropped.inc({ stream }, count);
  }

  deadLetterDropped(stream: string, count: number): void {
    this.counters.deadLetterDropped.inc({ stream }, count);
  }

  permissionRefused(step: string): void {
    this.counters.permissionRefused.inc({ group: this.group, step });
  }

  rateLimitWaited(stream: string, seconds: number): void {
    this.counters.rateLimitWait.inc({ stream, group: this.group }, seconds);
  }
}
