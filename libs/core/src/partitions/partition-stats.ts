/**
 * The figures of a partitioned stream for the CLI, the dashboard, the metrics and KEDA:
 * each partition's (length, groups with pending and lag, dead letters, delayed, node on a
 * cluster) and their totals, so a partitioned stream shows as one line by default.
 * Groups are merged by name: pending, lag (null when any partition's is unknown) and
 * entries read summed, consumers the most any partition has (a consumer is registered on
 * a partition once it read from it), paused from the logical stream's pause key (the one
 * its partitions share).
 */
import { compareEntryIds } from '../entry-ids.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { readOneStreamStats, type GroupStats, type PartitionStats, type StreamStats } from '../admin/stream-stats.js';

export async function readPartitionedStats(connection: RedisConnection, keys: KeyBuilder, stream: string, count: number): Promise<StreamStats> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  const partitions = await Promise.all(
    indexes.map(async (index): Promise<PartitionStats> => {
      const name = keys.partitionName(stream, index);
      const stats = await readOneStreamStats(connection, keys, name);
      return { ...stats, index, ...(connection.isCluster && { node: endpointName(connection, stats.key) }) };
    }),
  );
  const logical = keys.forStream(stream);
  const groups = mergeGroups(partitions);
  const paused = await Promise.all(groups.map((g) => connection.send<string | null>(['GET', logical.paused(g.name)])));
  groups.forEach((g, i) => (g.paused = paused[i] !== null));
  for (const p of partitions) for (const g of p.groups) g.paused = paused[groups.findIndex((m) => m.name === g.name)] !== null;
  return {
    stream,
    key: logical.stream,
    exists: partitions.some((p) => p.exists),
    length: sum(partitions.map((p) => p.length)),
    groups,
    deadLetters: sum(partitions.map((p) => p.deadLetters)),
    delayed: sum(partitions.map((p) => p.delayed)),
    partitions,
  };
}

function mergeGroups(partitions: readonly StreamStats[]): GroupStats[] {
  const merged = new Map<string, GroupStats>();
  for (const p of partitions) {
    for (const g of p.groups) {
      const total = merged.get(g.name);
      if (total === undefined) {
        merged.set(g.name, { ...g });
        continue;
      }
      total.consumers = Math.max(total.consumers, g.consumers);
      total.pending += g.pending;
      total.lag = total.lag === null || g.lag === null ? null : total.lag + g.lag;
      total.entriesRead = total.entriesRead === null || g.entriesRead === null ? null : total.entriesRead + g.entriesRead;
      if (compareEntryIds(g.lastDeliveredId, total.lastDeliveredId) > 0) total.lastDeliveredId = g.lastDeliveredId;
    }
  }
  return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function endpointName(connection: RedisConnection, key: string): string {
  const { host, port } = connection.endpointOf(key);
  return `${host}:${port}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
