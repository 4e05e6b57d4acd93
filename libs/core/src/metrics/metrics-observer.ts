/**
 * The ConsumerObserver that turns what one consumer does into Prometheus counters and the
 * handler duration histogram. Label children are resolved once per stream, so a handled
 * message costs two increments, not a label lookup.
 */
import type { Counter, Histogram } from 'prom-client';
import type { ConsumerObserver, HandledOutcome } from '../consumer/received-message.js';

export interface ConsumerCounters {
  handled: Counter<'stream' | 'group' | 'outcome'>;
  handlerDuration: Histogram<'stream' | 'group' | 'outcome'>;
  reclaimed: Counter<'stream' | 'group'>;
  deletedOnClaim: Counter<'stream' | 'group'>;
  trimmed: Counter<'stream'>;
  unreadDropped: Counter<'stream'>;
  deadLetterDropped: Counter<'stream'>;
}

type Increment = { inc(value?: number): void };
type Observe = { observe(value: number): void };

interface StreamChildren {
  handled: Record<HandledOutcome, Increment>;
  duration: Record<HandledOutcome, Observe>;
}

const OUTCOMES: readonly HandledOutcome[] = ['success', 'retried', 'dead-lettered', 'skipped-duplicate'];

export class MetricsObserver implements ConsumerObserver {
  private readonly streams = new Map<string, StreamChildren>();

  constructor(
    private readonly counters: ConsumerCounters,
    private readonly group: string,
  ) {}

  handled(stream: string, outcome: HandledOutcome, durationMs: number): void {
    const children = this.streams.get(stream) ?? this.childrenOf(stream);
    children.handled[outcome].inc();
    // A skipped duplicate never ran a handler: its zero would only skew the histogram.
    if (outcome !== 'skipped-duplicate') children.duration[outcome].observe(durationMs / 1_000);
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

  private childrenOf(stream: string): StreamChildren {
    const handled = {} as Record<HandledOutcome, Increment>;
    const duration = {} as Record<HandledOutcome, Observe>;
    for (const outcome of OUTCOMES) {
      const labels = { stream, group: this.group, outcome };
      handled[outcome] = this.counters.handled.labels(labels);
      duration[outcome] = this.counters.handlerDuration.labels(labels);
      // Present from the first message on, so rate() and absent-alerts see every outcome.
      this.counters.handled.inc(labels, 0);
    }
    const children = { handled, duration };
    this.streams.set(stream, children);
    return children;
  }
}
