/**
 * Where the messages of a logical stream can be: the stream itself, the streams of its
 * priority levels (those that exist), and for a partitioned stream each partition's stream.
 * getJobStatus and listJobs search them in this order; a plain stream has one location and
 * is read exactly as before.
 */
import { InvalidOptionError } from '../errors/index.js';
import { PRIORITY_LEVELS, type KeyBuilder, type PriorityLevel, type StreamKeys } from '../keys.js';
import { readPartitionCount } from '../partitions/partition-metadata.js';
import type { RedisConnection } from '../redis/connection.js';

export interface JobLocation {
  keys: StreamKeys;
  priority: PriorityLevel;
  /** The partition index, for a partition's stream. */
  partition?: number;
}

/** Narrows a search to one level or one partition. */
export interface JobLocationFilter {
  priority?: PriorityLevel;
  partition?: number;
}

/** Every location of `stream` matching the filter; only the stream itself when it has no levels and no partitions. */
export async function jobLocations(connection: RedisConnection, keys: KeyBuilder, stream: string, filter: JobLocationFilter = {}): Promise<JobLocation[]> {
  const k = keys.forStream(stream);
  if (filter.priority !== undefined && !(PRIORITY_LEVELS as readonly string[]).includes(filter.priority)) {
    throw new InvalidOptionError('priority', filter.priority, `one of ${PRIORITY_LEVELS.join(', ')}`);
  }
  const [partitions, high, low] = await Promise.all([
    keys.parsePartition(stream) === undefined ? readPartitionCount(connection, keys, stream) : 0,
    connection.send<number>(['EXISTS', k.level('high').stream]),
    connection.send<number>(['EXISTS', k.level('low').stream]),
  ]);
  if (filter.partition !== undefined) {
    if (!Number.isInteger(filter.partition) || filter.partition < 0 || filter.partition >= partitions) {
      const allowed = partitions === 0 ? `none: stream "${stream}" is not partitioned` : `an integer from 0 to ${partitions - 1}`;
      throw new InvalidOptionError('partition', filter.partition, allowed);
    }
    return [{ keys: keys.forPartition(stream, filter.partition), priority: 'normal', partition: filter.partition }];
  }
  const existing = new Set<PriorityLevel>(['normal', ...(high > 0 ? ['high' as const] : []), ...(low > 0 ? ['low' as const] : [])]);
  const levels = PRIORITY_LEVELS.filter((level) => (filter.priority === undefined ? existing.has(level) : level === filter.priority));
  const locations: JobLocation[] = levels.map((priority) => ({ keys: k.level(priority), priority }));
  // The stream itself stays a location of a partitioned stream: entries written before it was partitioned are read too.
  if (filter.priority === undefined || filter.priority === 'normal') {
    for (let i = 0; i < partitions; i++) locations.push({ keys: keys.forPartition(stream, i), priority: 'normal', partition: i });
  }
  return locations;
}

/** What a location adds to a status or a listed job: nothing for a plain stream's only location. */
export function locationFields(location: JobLocation, only: boolean): { priority?: PriorityLevel; partition?: number } {
  if (only) return {};
  return { priority: location.priority, ...(location.partition !== undefined && { partition: location.partition }) };
}

/** A location's name in a cursor: its level, or `#<i>` for a partition. */
export function locationLabel(location: JobLocation): string {
  return location.partition === undefined ? location.priority : `#${location.partition}`;
}
