/**
 * Admin reads of a partitioned stream, for `redstream pending`, `watch`, `partitions` and
 * the dashboard: the pending summary and entries, consumers and owners summed or merged
 * over the partitions, each partition's figures beside. A partition where the group does
 * not exist yet (grown, not read by a worker yet) counts as nothing pending.
 */
import { compareEntryIds } from '../entry-ids.js';
import { UnknownGroupError, UnknownStreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import { isErrorReply, type RedisConnection } from '../redis/connection.js';
import { readConsumers, readPendingEntries, readPendingSummary, type ConsumerInfo, type PendingEntriesQuery, type PendingEntry, type PendingSummary } from '../admin/pending.js';
import { readPartitionCount } from './partition-metadata.js';

export interface PartitionPendingSummary extends PendingSummary {
  index: number;
}

export interface PartitionedPending {
  /** Totals over the partitions: count summed, oldest and newest id over all, per consumer summed; `key` the logical stream's. */
  summary: PendingSummary;
  /** Oldest first over all partitions, at most `query.limit`; each names its partition. */
  entries: (PendingEntry & { partition: number })[];
  partitions: PartitionPendingSummary[];
}

/** The lease of a partition for an ordered group (`rs:{name#i}:owner:<group>`), as stored by ordered consumption. */
export interface PartitionOwner {
  owner: string;
  /** The fencing token, when the lease carries one. */
  token?: string;
  /** Time left on the lease, ms (PTTL). */
  ttlMs: number;
}

/** The stored partition count of `stream`, or 0 for a name that is itself a partition or not partitioned. */
export async function partitionCountOf(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<number> {
  return keys.parsePartition(stream) === undefined ? readPartitionCount(connection, keys, stream) : 0;
}

export async function readPartitionedPending(
  connection: RedisConnection,
  keys: KeyBuilder,
  stream: string,
  count: number,
  group: string,
  query: PendingEntriesQuery,
): Promise<PartitionedPending> {
  const partitions = await Promise.all(
    indexes(count).map(async (index) => {
      const name = keys.partitionName(stream, index);
      const [summary, entries] = await Promise.all([
        orNothing(readPendingSummary(connection, keys, name, group), () => ({ stream: name, key: keys.stream(name), group, count: 0, minId: null, maxId: null, consumers: [] })),
        orNothing(readPendingEntries(connection, keys, name, group, query), () => []),
      ]);
      return { summary: { ...summary, index }, entries: entries.map((e) => ({ ...e, partition: index })) };
    }),
  );
  const summaries = partitions.map((p) => p.summary);
  const perConsumer = new Map<string, number>();
  for (const s of summaries) for (const c of s.consumers) perConsumer.set(c.name, (perConsumer.get(c.name) ?? 0) + c.pending);
  const ids = (pick: (s: PendingSummary) => string | null) => summaries.map(pick).filter((id): id is string => id !== null).sort(compareEntryIds);
  const minIds = ids((s) => s.minId);
  const maxIds = ids((s) => s.maxId);
  const summary: PendingSummary = {
    stream,
    key: keys.stream(stream),
    group,
    count: summaries.reduce((total, s) => total + s.count, 0),
    minId: minIds[0] ?? null,
    maxId: maxIds[maxIds.length - 1] ?? null,
    consumers: [...perConsumer].map(([name, pending]) => ({ name, pending })).sort((a, b) => a.name.localeCompare(b.name)),
  };
  const entries = partitions.flatMap((p) => p.entries).sort((a, b) => compareEntryIds(a.id, b.id)).slice(0, query.limit);
  return { summary, entries, partitions: summaries };
}

/** Consumers of the group over every partition: pending summed, idle the least (the most recent read or claim anywhere). */
export async function readPartitionedConsumers(connection: RedisConnection, keys: KeyBuilder, stream: string, count: number, group: string): Promise<ConsumerInfo[]> {
  const lists = await Promise.all(indexes(count).map((index) => orNothing(readConsumers(connection, keys, keys.partitionName(stream, index), group), () => [])));
  const merged = new Map<string, ConsumerInfo>();
  for (const c of lists.flat()) {
    const seen = merged.get(c.name);
    merged.set(c.name, seen === undefined ? { ...c } : { name: c.name, pending: seen.pending + c.pending, idleMs: Math.min(seen.idleMs, c.idleMs) });
  }
  return [...merged.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The owner of each partition for an ordered group; null where no lease is held. */
export async function readPartitionOwners(connection: RedisConnection, keys: KeyBuilder, stream: string, count: number, group: string): Promise<(PartitionOwner | null)[]> {
  return Promise.all(indexes(count).map((index) => readOwner(connection, keys.forPartition(stream, index).owner(group))));
}

async function readOwner(connection: RedisConnection, key: string): Promise<PartitionOwner | null> {
  const [raw, ttlMs] = await Promise.all([
    connection.send<string | null>(['GET', key]).catch(async (error) => {
      if (!isErrorReply(error, 'WRONGTYPE')) throw error;
      return JSON.stringify(fieldsToRecord(await connection.send<string[]>(['HGETALL', key])));
    }),
    connection.send<number>(['PTTL', key]),
  ]);
  if (raw === null) return null;
  return { ...describeOwner(raw), ttlMs: Math.max(0, Number(ttlMs)) };
}

/** A lease as a JSON object or hash (`owner`/`consumer`, `token`/`fence`), `<consumer> <token>` (what take-lease-2.lua writes), `<consumer>:<token>`, or a bare consumer name. */
function describeOwner(raw: string): { owner: string; token?: string } {
  try {
    const value = JSON.parse(raw) as Record<string, unknown>;
    if (value !== null && typeof value === 'object') {
      const owner = value.owner ?? value.consumer;
      const token = value.token ?? value.fence;
      if (owner !== undefined) return { owner: String(owner), ...(token !== undefined && { token: String(token) }) };
    }
  } catch {
    // not JSON: one of the plain forms below
  }
  const split = /^(.*)[ :|](\d+)$/.exec(raw);
  return split === null ? { owner: raw } : { owner: split[1], token: split[2] };
}

function fieldsToRecord(fields: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]] = fields[i + 1];
  return record;
}

function orNothing<T>(read: Promise<T>, nothing: () => T): Promise<T> {
  return read.catch((error) => {
    if (error instanceof UnknownGroupError || error instanceof UnknownStreamError) return nothing();
    throw error;
  });
}

function indexes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}
