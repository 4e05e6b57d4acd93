/**
 * The streams a command acts on for a `<stream>` argument: the stream itself, or for a
 * partitioned stream each partition's stream (`name#i`), or the one named by `--partition <i>`.
 */
import { InvalidArgumentError } from 'commander';
import { partitionCountOf } from '@redstream/core';
import type { AdminContext } from './admin-action.js';
import { UsageError } from './usage-error.js';

export interface StreamTarget {
  /** The stream name to act on: the stream itself or a partition's `name#i`. */
  stream: string;
  /** The partition index, for a partitioned stream. */
  partition?: number;
}

export interface StreamTargets {
  /** 0 for a stream that is not partitioned. */
  partitionCount: number;
  targets: StreamTarget[];
}

export const PARTITION_FLAG = '--partition <i>';

/** A partition index: 0, 1, … (checked against the stored count when the command runs). */
export function parsePartitionIndex(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new InvalidArgumentError(`"${text}" is not a partition index (0, 1, …).`);
  return value;
}

export async function resolveTargets(context: AdminContext, stream: string, partition: number | undefined): Promise<StreamTargets> {
  const partitionCount = await partitionCountOf(context.connection, context.keys, stream);
  if (partitionCount === 0) {
    if (partition !== undefined) throw new UsageError(`stream ${stream} is not partitioned; drop --partition ${partition}`);
    return { partitionCount, targets: [{ stream }] };
  }
  if (partition !== undefined && partition >= partitionCount) {
    throw new UsageError(`stream ${stream} has ${partitionCount} partitions (0 to ${partitionCount - 1}); --partition ${partition} is none of them`);
  }
  const indexes = partition === undefined ? Array.from({ length: partitionCount }, (_, i) => i) : [partition];
  return { partitionCount, targets: indexes.map((index) => ({ stream: context.keys.partitionName(stream, index), partition: index })) };
}

/**
 * The one partition stream a per-partition command (ids are unique within a partition only)
 * acts on; a partitioned stream without `--partition` is a usage error naming the flag.
 */
export async function resolveSingleTarget(context: AdminContext, stream: string, partition: number | undefined, command: string): Promise<StreamTarget & { partitionCount: number }> {
  const { partitionCount, targets } = await resolveTargets(context, stream, partition);
  if (targets.length > 1) {
    throw new UsageError(`stream ${stream} has ${partitionCount} partitions and entry ids are per partition; ${command} needs ${PARTITION_FLAG} (0 to ${partitionCount - 1})`);
  }
  return { ...targets[0], partitionCount };
}
