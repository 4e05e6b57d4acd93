/**
 * Read-only inspection of streams and groups, shared by the demo's /jobs/stats, the CLI
 * and the metrics gauges, so that all three report the same numbers KEDA reads:
 * `pending` is the XPENDING summary count, `lag` is XINFO GROUPS `lag`.
 */
import { InvalidOptionError, UnknownGroupError, UnknownStreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';
import { readPartitionCount } from '../partitions/partition-metadata.js';
import { readPartitionedStats } from '../partitions/partition-stats.js';

export interface GroupStats {
  name: string;
  consumers: number;
  pending: number;
  /** null when Redis cannot compute it (entries deleted past the group's position). */
  lag: number | null;
  lastDeliveredId: string;
  /** Entries the group has read so far (XINFO GROUPS `entries-read`); null when Redis does not know. */
  entriesRead: number | null;
  /** True while the group is paused (`redstream pause`, `pauseGroup`); read by readStreamStats, false from readGroups alone. */
  paused: boolean;
}

export interface StreamStats {
  stream: string;
  key: string;
  exists: boolean;
  length: number;
  groups: GroupStats[];
  deadLetters: number;
  delayed: number;
  /**
   * A partitioned stream: each partition's own figures (partition-stats.ts); the stream's
   * are then their totals (length, pending, lag, dead letters, delayed summed; a group's
   * consumers the most any partition has), and `key` the logical stream's key.
   */
  partitions?: PartitionStats[];
}

export interface PartitionStats extends StreamStats {
  index: number;
  /** `host:port` of the primary serving the partition, on a Redis Cluster. */
  node?: string;
}

/** The figures of one stream; of a partitioned stream, the totals over its partitions and each partition's. */
export async function readStreamStats(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<StreamStats> {
  const count = keys.parsePartition(stream) === undefined ? await readPartitionCount(connection, keys, stream) : 0;
  if (count > 0) return readPartitionedStats(connection, keys, stream, count);
  return readOneStreamStats(connection, keys, stream);
}

/** The figures of one physical stream (a partition, or a stream that is not partitioned). */
export async function readOneStreamStats(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<StreamStats> {
  const k = keys.forStream(stream);
  const [length, deadLetters, delayed, groups] = await Promise.all([
    connection.send<number>(['XLEN', k.stream]),
    connection.send<number>(['XLEN', k.deadLetter]),
    connection.send<number>(['ZCARD', k.delayed]),
    readGroups(connection, k.stream),
  ]);
  if (groups !== null) {
    const marks = await Promise.all(groups.map((g) => connection.send<string | null>(['GET', k.paused(g.name)])));
    groups.forEach((g, i) => (g.paused = marks[i] !== null));
  }
  return { stream, key: k.stream, exists: groups !== null, length, groups: groups ?? [], deadLetters, delayed };
}

/** XINFO GROUPS of one stream key; null when the key does not exist. */
export async function readGroups(connection: RedisConnection, streamKey: string): Promise<GroupStats[] | null> {
  let rows: RedisReply[][];
  try {
    rows = await connection.send<RedisReply[][]>(['XINFO', 'GROUPS', streamKey]);
  } catch (error) {
    if (isErrorReply(error, 'ERR no such key')) return null;
    throw error;
  }
  return rows.map((row) => {
    const info = replyToRecord(row);
    return {
      name: String(info.name),
      consumers: Number(info.consumers),
      pending: Number(info.pending),
      lag: info.lag === null || info.lag === undefined ? null : Number(info.lag),
      lastDeliveredId: String(info['last-delivered-id']),
      entriesRead: info['entries-read'] === null || info['entries-read'] === undefined ? null : Number(info['entries-read']),
      // Read by readStreamStats (one GET per group); readGroups alone does not know.
      paused: false,
    };
  });
}

/**
 * The group an admin command works on: the one named, or the stream's only group when
 * none is named. Throws UnknownStreamError / UnknownGroupError naming what exists.
 */
export async function resolveGroup(connection: RedisConnection, keys: KeyBuilder, stream: string, group?: string): Promise<GroupStats> {
  const key = keys.stream(stream);
  const count = keys.parsePartition(stream) === undefined ? await readPartitionCount(connection, keys, stream) : 0;
  // A partitioned stream's groups are those of its partitions (merged by name).
  const groups = count > 0 ? (await readPartitionedStats(connection, keys, stream, count)).groups : await readGroups(connection, key);
  if (groups === null) throw new UnknownStreamError(stream, key);
  const names = groups.map((g) => g.name);
  if (group === undefined) {
    if (groups.length === 1) return groups[0];
    throw new InvalidOptionError('group', group, groups.length === 0 ? `a group, but stream "${stream}" has none` : `one of ${names.join(', ')}`);
  }
  const found = groups.find((g) => g.name === group);
  if (!found) throw new UnknownGroupError(stream, group, names);
  return found;
}

/** Entries ever added to the stream (XINFO STREAM `entries-added`), for throughput; 0 for a missing stream. */
export async function readEntriesAdded(connection: RedisConnection, streamKey: string): Promise<number> {
  try {
    return Number(replyToRecord(await connection.send<RedisReply[]>(['XINFO', 'STREAM', streamKey]))['entries-added'] ?? 0);
  } catch (error) {
    if (isErrorReply(error, 'ERR no such key')) return 0;
    throw error;
  }
}

/** Logical stream names registered by producers and consumers (`rs:streams`), sorted. */
/** Adds logical stream names to the registry set the CLI discovers streams by. */
export async function registerStreams(connection: RedisConnection, keys: KeyBuilder, streams: readonly string[]): Promise<void> {
  await connection.send(['SADD', keys.registry, ...streams]);
}

export async function listStreams(connection: RedisConnection, keys: KeyBuilder): Promise<string[]> {
  const names = await connection.send<string[]>(['SMEMBERS', keys.registry]);
  return names.sort();
}

/** `[k1, v1, k2, v2]` (a RESP2 map) → `{ k1: v1, k2: v2 }`. */
export function replyToRecord(row: RedisReply[]): Record<string, RedisReply> {
  const record: Record<string, RedisReply> = {};
  for (let i = 0; i + 1 < row.length; i += 2) record[String(row[i])] = row[i + 1];
  return record;
}
