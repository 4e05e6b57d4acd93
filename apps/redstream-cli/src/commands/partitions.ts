/**
 * `redstream partitions <stream>`: each partition of a partitioned stream — node (on a
 * cluster), length, dead letters, and per group pending, lag and owner (the lease of an
 * ordered group, when one is held). `redstream partitions <stream> <n>`: partitions a
 * stream or grows it to n partitions (never fewer: shrinking is refused); producers and
 * workers follow within seconds, without restart.
 */
import type { Command } from 'commander';
import { RedstreamError, UnknownGroupError, readPartitionCount, readPartitionOwners, readStreamStats, setPartitionCount, type PartitionOwner, type PartitionStats } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable } from '../support/format.js';
import { parsePositiveInteger, parseStream, STREAM_ARGUMENT } from '../support/parse.js';

interface PartitionRow {
  index: number;
  stream: string;
  key: string;
  node?: string;
  length: number;
  deadLetters: number;
  delayed: number;
  groups: { name: string; consumers: number; pending: number; lag: number | null; owner: PartitionOwner | null }[];
}

export function registerPartitionsCommand(program: Command): void {
  program
    .command('partitions')
    .description('per partition: node, length, and per group pending, lag and owner; with <n>: partition the stream or grow it to n partitions')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .argument('[n]', 'set or grow the partition count to n (shrinking is refused)', parsePositiveInteger)
    .option('-g, --group <group>', 'only this consumer group')
    .action(
      adminAction(async (context, stream: string, count: number | undefined, options: { group?: string }) => {
        if (count !== undefined) return grow(context, stream, count);
        return show(context, stream, options.group);
      }),
    );
}

async function grow(context: AdminContext, stream: string, count: number): Promise<void> {
  const { before, after } = await setPartitionCount(context.connection, context.keys, stream, count);
  const meta = context.keys.forStream(stream).meta;
  if (context.json) return context.printJson({ stream, key: meta, before, after, changed: before !== after });
  if (before === after) return context.print(`stream ${stream} already has ${after} partitions`);
  if (before === 0) return context.print(`stream ${stream} now has ${after} partitions (${meta}); producers and workers follow within seconds`);
  context.print(
    `stream ${stream} grew from ${before} to ${after} partitions; producers and workers follow within seconds. ` +
      `Keys that move to a new partition may be handled out of order with their older messages still waiting in the old one (README, "Partitions").`,
  );
}

async function show(context: AdminContext, stream: string, group: string | undefined): Promise<void> {
  const { connection, keys } = context;
  const count = await readPartitionCount(connection, keys, stream);
  if (count === 0) throw new RedstreamError('ERR_NOT_PARTITIONED', `stream ${stream} is not partitioned (no count in ${keys.forStream(stream).meta}); \`redstream partitions ${stream} <n>\` partitions it`);
  const stats = await readStreamStats(connection, keys, stream);
  const groups = stats.groups.map((g) => g.name).filter((name) => group === undefined || name === group);
  if (group !== undefined && groups.length === 0) throw new UnknownGroupError(stream, group, stats.groups.map((g) => g.name));
  const owners = new Map(await Promise.all(groups.map(async (name) => [name, await readPartitionOwners(connection, keys, stream, count, name)] as const)));
  const rows = (stats.partitions ?? []).map((p) => partitionRow(p, groups, owners));
  if (context.json) return context.printJson({ stream, key: keys.forStream(stream).meta, partitions: count, groups, rows });
  context.print(`stream ${stream}: ${count} partitions, ${formatCount(stats.length)} entries`);
  const cluster = rows.some((r) => r.node !== undefined);
  const table: (string | number)[][] = [];
  for (const r of rows) {
    const head = [r.index, r.key, ...(cluster ? [r.node ?? '-'] : []), formatCount(r.length), formatCount(r.deadLetters)];
    if (r.groups.length === 0) table.push([...head, '-', '-', '-', '-']);
    for (const g of r.groups) table.push([...head, g.name, formatCount(g.pending), g.lag === null ? 'unknown' : formatCount(g.lag), ownerText(g.owner)]);
  }
  context.print(renderTable(['partition', 'key', ...(cluster ? ['node'] : []), 'length', 'dead letters', 'group', 'pending', 'lag', 'owner'], table));
}

function partitionRow(p: PartitionStats, groups: readonly string[], owners: ReadonlyMap<string, (PartitionOwner | null)[]>): PartitionRow {
  return {
    index: p.index,
    stream: p.stream,
    key: p.key,
    ...(p.node !== undefined && { node: p.node }),
    length: p.length,
    deadLetters: p.deadLetters,
    delayed: p.delayed,
    groups: groups.map((name) => {
      const g = p.groups.find((candidate) => candidate.name === name);
      return { name, consumers: g?.consumers ?? 0, pending: g?.pending ?? 0, lag: g === undefined ? null : g.lag, owner: owners.get(name)?.[p.index] ?? null };
    }),
  };
}

function ownerText(owner: PartitionOwner | null): string {
  if (owner === null) return '-';
  return `${owner.owner}${owner.token === undefined ? '' : ` (token ${owner.token})`}, ${formatDuration(owner.ttlMs)} left`;
}
