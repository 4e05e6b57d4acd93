/**
 * Every stream with its groups and each group's consumers in one snapshot: what `redstream
 * watch` and the dashboard's overview show, from the same queries as `streams` and `consumers`.
 */
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { readConsumers, type ConsumerInfo } from './pending.js';
import { readPartitionedConsumers } from '../partitions/partition-admin.js';
import { listStreams, readStreamStats, type StreamStats } from './stream-stats.js';

export interface StreamOverview extends StreamStats {
  /** Consumers of each group, by group name. */
  consumers: Record<string, ConsumerInfo[]>;
}

export async function readStreamOverview(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<StreamOverview> {
  const stats = await readStreamStats(connection, keys, stream);
  const count = stats.partitions?.length ?? 0;
  const consumersOf = (group: string) =>
    count > 0 ? readPartitionedConsumers(connection, keys, stream, count, group) : readConsumers(connection, keys, stream, group);
  const perGroup = await Promise.all(stats.groups.map(async (g) => [g.name, await consumersOf(g.name)] as const));
  return { ...stats, consumers: Object.fromEntries(perGroup) };
}

/** The named streams, or every registered one (`rs:streams`) when none is named. */
export async function readOverview(connection: RedisConnection, keys: KeyBuilder, only: readonly string[] = []): Promise<StreamOverview[]> {
  const names = only.length > 0 ? only : await listStreams(connection, keys);
  return Promise.all(names.map((name) => readStreamOverview(connection, keys, name)));
}
