/**
 * The handler duration histogram, read from the tallies at scrape time. It speaks
 * prom-client's registry contract (name, help, type, get(), reset()) and produces the same
 * `_bucket` / `_sum` / `_count` series a prom-client Histogram would.
 */
import type { Registry } from 'prom-client';
import { HandledTally, OUTCOMES } from './handled-tally.js';
import { streamLabels } from './stream-labels.js';

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

export class TalliedHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly tallies: () => Iterable<HandledTally>,
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values: Sample[] = [];
    for (const tally of mergeSameLabels(this.tallies())) {
      const width = tally.bounds.length + 1;
      OUTCOMES.forEach((outcome, index) => {
        if (outcome === 'skipped-duplicate') return;
        const labels = { ...streamLabels(tally.stream), group: tally.group, outcome };
        let cumulative = 0;
        for (let bucket = 0; bucket < width; bucket += 1) {
          cumulative += tally.buckets[index * width + bucket];
          const le = bucket < tally.bounds.length ? tally.bounds[bucket] : '+Inf';
          values.push({ value: cumulative, labels: { le, ...labels }, metricName: `${this.name}_bucket` });
        }
        values.push({ value: tally.durationSum[index], labels, metricName: `${this.name}_sum` });
        values.push({ value: tally.durationCount[index], labels, metricName: `${this.name}_count` });
      });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Tallies belong to the observers; a registry reset does not rewind them. */
  reset(): void {}
}

/** Two consumers of one group in one process report one series per stream, not two. */
function mergeSameLabels(tallies: Iterable<HandledTally>): HandledTally[] {
  const merged = new Map<string, HandledTally>();
  for (const tally of tallies) {
    const key = `${tally.stream}\u0000${tally.group}`;
    const into = merged.get(key);
    if (into === undefined) {
      merged.set(key, tally);
      continue;
    }
    const sum = new HandledTally(tally.stream, tally.group, tally.bounds);
    for (const source of [into, tally]) {
      source.buckets.forEach((count, i) => (sum.buckets[i] += count));
      source.durationSum.forEach((value, i) => (sum.durationSum[i] += value));
      source.durationCount.forEach((count, i) => (sum.durationCount[i] += count));
    }
    merged.set(key, sum);
  }
  return [...merged.values()];
}
