/**
 * The partition count of a logical stream, as stored in Redis: hash `rs:{name}:meta`,
 * field `partitions` (decimal). The one source of truth for producers, workers, the CLI
 * and KEDA. Set or grown by set-partitions-1.lua, which refuses shrinking.
 */
import { registerStreams } from '../admin/stream-stats.js';
import { MAX_PARTITIONS } from '../constants.js';
import { InvalidOptionError, PartitionCountError, RedstreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import { requireInteger, validateStreamName } from '../validation.js';

/** The stored partition count of `stream`; 0 when it is not partitioned. */
export async function readPartitionCount(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<number> {
  const meta = keys.forStream(stream).meta;
  const raw = await connection.send<string | null>(['HGET', meta, 'partitions']);
  if (raw === null) return 0;
  const count = Number(raw);
  if (!/^[1-9][0-9]*$/.test(raw) || count > MAX_PARTITIONS) {
    throw new RedstreamError(
      'ERR_PARTITIONS_METADATA',
      `${meta} field "partitions" is ${JSON.stringify(raw)}, not a count from 1 to ${MAX_PARTITIONS}; fix it with HSET ${meta} partitions <n> (never below the partitions that hold entries).`,
    );
  }
  return count;
}

/** A partition count as given by a user (option or CLI): an integer from 1 to MAX_PARTITIONS. */
export function validatePartitionCount(option: string, count: unknown): number {
  return requireInteger(option, count, 1, MAX_PARTITIONS);
}

/**
 * The option `partitions`: stores `count` when nothing is stored yet, and otherwise
 * requires it to equal the stored count (PartitionCountError `ERR_PARTITIONS_MISMATCH`).
 */
export async function agreePartitionCount(connection: RedisConnection, keys: KeyBuilder, stream: string, count: number): Promise<number> {
  const { before, after } = await LuaSteps.setPartitions(connection, { meta: keys.forStream(stream).meta }, { count, mode: 'agree' });
  if (after !== count) throw new PartitionCountError('ERR_PARTITIONS_MISMATCH', stream, count, after);
  if (before === 0) await registerStreams(connection, keys, [stream]);
  return count;
}

/**
 * Sets the partition count of `stream` or grows it (`redstream partitions <stream> <n>`);
 * a smaller count than the stored one is refused (PartitionCountError `ERR_PARTITIONS_SHRINK`).
 * Producers and workers pick the new count up by a broadcast at once, or within
 * PARTITIONS_REFRESH_MS by polling.
 */
export async function setPartitionCount(connection: RedisConnection, keys: KeyBuilder, stream: string, count: number): Promise<{ before: number; after: number }> {
  validateStreamName(stream);
  validatePartitionCount('partitions', count);
  const result = await LuaSteps.setPartitions(connection, { meta: keys.forStream(stream).meta }, { count, mode: 'grow' });
  if (result.after !== count) throw new PartitionCountError('ERR_PARTITIONS_SHRINK', stream, count, result.after);
  await registerStreams(connection, keys, [stream]);
  return result;
}

/** The option `partitions: { 'orders.created': 8 }`, validated: stream names and counts. */
export function resolvePartitionsOption(value: unknown): Readonly<Record<string, number>> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('partitions', value, "an object of stream name -> partition count, e.g. { 'orders.created': 8 }");
  }
  const resolved: Record<string, number> = {};
  for (const [stream, count] of Object.entries(value)) {
    validateStreamName(stream, `partitions["${stream}"]`);
    resolved[stream] = validatePartitionCount(`partitions["${stream}"]`, count);
  }
  return resolved;
}
