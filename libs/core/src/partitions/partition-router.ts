/**
 * Producer-side routing: which stream a publish writes to. An unpartitioned stream is
 * written as is; a partitioned one to partition `partitionFor(partitionKey, count)`,
 * else `partitionFor(idempotencyKey, count)` (so a repeated idempotent publish lands on
 * the partition holding its dedupe mark), else the next partition round-robin.
 */
import { InvalidOptionError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { validateStreamName } from '../validation.js';
import { partitionFor } from './partition-hash.js';
import { PartitionMap } from './partition-map.js';

export const MAX_PARTITION_KEY_LENGTH = 512;

export class PartitionRouter {
  readonly map: PartitionMap;
  private readonly nextPartition = new Map<string, number>();

  constructor(
    connection: RedisConnection,
    private readonly keys: KeyBuilder,
    configured: Readonly<Record<string, number>>,
    onError: (source: string, error: Error) => void,
  ) {
    this.map = new PartitionMap(connection, keys, configured, onError);
  }

  /** The stream name to write to, or undefined while the stream's partition count is not known yet (call `learn()`). */
  route(stream: string, options: { partitionKey?: string; idempotencyKey?: string }): string | undefined {
    const { partitionKey } = options;
    if (partitionKey !== undefined && (typeof partitionKey !== 'string' || partitionKey.length === 0 || partitionKey.length > MAX_PARTITION_KEY_LENGTH)) {
      throw new InvalidOptionError('partitionKey', partitionKey, `a non-empty string of at most ${MAX_PARTITION_KEY_LENGTH} characters`);
    }
    const count = this.map.cached(stream);
    if (count === undefined) return undefined;
    if (count === 0) return stream;
    return this.keys.partitionName(stream, this.partitionOf(stream, count, options));
  }

  partitionOf(stream: string, count: number, options: { partitionKey?: string; idempotencyKey?: string }): number {
    const key = options.partitionKey ?? options.idempotencyKey;
    if (key !== undefined) return partitionFor(key, count);
    const next = this.nextPartition.get(stream) ?? 0;
    this.nextPartition.set(stream, next + 1 >= count ? 0 : next + 1);
    return next % count;
  }

  /** Reads the partition count of `stream` (once); rejects for an invalid name or a count that disagrees with the option. */
  learn(stream: string): Promise<number> {
    try {
      validateStreamName(stream);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.map.resolve(stream);
  }

  resolveConfigured(): Promise<void> {
    return this.map.resolveConfigured();
  }

  close(): Promise<void> {
    return this.map.close();
  }
}
