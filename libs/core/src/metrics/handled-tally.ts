/**
 * Per-stream tallies of handled messages, updated on the hot path with plain array writes
 * and published to Prometheus at scrape time. prom-client's own inc()/observe() hash their
 * labels on every call (1–2 µs each, measured), a third of the transport's per-message CPU.
 */
import type { HandledOutcome } from '../consumer/received-message.js';

export const OUTCOMES: readonly HandledOutcome[] = ['success', 'retried', 'dead-lettered', 'skipped-duplicate'];
const OUTCOME_INDEX: Record<HandledOutcome, number> = { success: 0, retried: 1, 'dead-lettered': 2, 'skipped-duplicate': 3 };

export class HandledTally {
  /** Messages handled per outcome, since the start. */
  readonly handled = new Float64Array(OUTCOMES.length);
  /** Of those, already added to the Prometheus counter. */
  readonly published = new Float64Array(OUTCOMES.length);
  /** Per outcome: one count per bucket bound, then the +Inf count (not cumulative). */
  readonly buckets: Float64Array;
  readonly durationSum = new Float64Array(OUTCOMES.length);
  readonly durationCount = new Float64Array(OUTCOMES.length);

  constructor(
    readonly stream: string,
    readonly group: string,
    readonly bounds: readonly number[],
  ) {
    this.buckets = new Float64Array(OUTCOMES.length * (bounds.length + 1));
  }

  record(outcome: HandledOutcome, durationMs: number): void {
    const index = OUTCOME_INDEX[outcome];
    this.handled[index] += 1;
    // A skipped duplicate never ran a handler: its zero would only skew the histogram.
    if (outcome === 'skipped-duplicate') return;
    const seconds = durationMs / 1_000;
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]) bucket += 1;
    this.buckets[index * (bounds.length + 1) + bucket] += 1;
    this.durationSum[index] += seconds;
    this.durationCount[index] += 1;
  }
}
