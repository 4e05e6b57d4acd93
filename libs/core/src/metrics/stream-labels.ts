/**
 * Metric labels of a stream: `{ stream }`, and for a partition of a partitioned stream
 * `{ stream: <logical name>, partition: <index> }`, so that a partitioned stream is one
 * `stream` whose series add up over `partition` (series of unpartitioned streams unchanged).
 */
import { parsePartitionName } from '../keys.js';

export type StreamLabels = { stream: string; partition?: string };

const cache = new Map<string, StreamLabels>();

export function streamLabels(stream: string): StreamLabels {
  let labels = cache.get(stream);
  if (labels === undefined) {
    const partition = parsePartitionName(stream);
    labels = partition === undefined ? { stream } : { stream: partition.name, partition: String(partition.index) };
    cache.set(stream, labels);
  }
  return labels;
}
