/** Small statistics helpers for the benchmark (no timing is ever asserted anywhere). */

export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Relative spread of repeated runs: (max - min) / median, to show how noisy a figure was. */
export function spread(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return 0;
  return (Math.max(...finite) - Math.min(...finite)) / median(finite);
}

/** Percentile (nearest rank) of a Float64Array or array of numbers. */
export function percentile(sortedValues, p) {
  if (sortedValues.length === 0) return NaN;
  const rank = Math.min(sortedValues.length - 1, Math.max(0, Math.ceil((p / 100) * sortedValues.length) - 1));
  return sortedValues[rank];
}

export function latencySummary(samples) {
  const sorted = Float64Array.from(samples).sort();
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN };
}
