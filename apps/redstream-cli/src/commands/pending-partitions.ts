/**
 * `redstream pending <stream>` on a partitioned stream: the totals over its partitions (one
 * summary, per consumer summed, entries oldest first over all partitions, each naming its
 * partition) and, with --partitions, each partition's summary.
 */
import { readPartitionedPending } from '@redstream/core';
import type { AdminContext } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable } from '../support/format.js';
import { peekPayloads, type PendingOptions } from './pending.js';

export async function printPartitionedPending(context: AdminContext, stream: string, count: number, group: string, options: PendingOptions): Promise<void> {
  const { connection, keys } = context;
  const query = { consumer: options.consumer, minIdleMs: options.minIdle, limit: options.limit };
  const { summary, entries, partitions } = await readPartitionedPending(connection, keys, stream, count, group, query);
  const peeks = options.showData ? await peekAll(context, stream, entries) : undefined;
  const shownEntries = entries.map((entry) => (peeks ? { ...entry, data: peeks.get(`${entry.partition}/${entry.id}`) ?? null } : entry));
  if (context.json) {
    return context.printJson({ ...summary, partitionCount: count, entries: shownEntries, ...(options.partitions && { partitions }) });
  }
  const range = summary.count > 0 ? ` (oldest ${summary.minId}, newest ${summary.maxId})` : '';
  context.print(`stream ${stream} (${count} partitions, ${keys.stream(`${stream}#0`)} …), group ${group}: ${formatCount(summary.count)} pending${range}`);
  if (options.partitions) {
    context.print(renderTable(['partition', 'key', 'pending', 'oldest', 'newest'], partitions.map((p) => [p.index, p.key, formatCount(p.count), p.minId ?? '-', p.maxId ?? '-'])));
  }
  if (summary.count === 0) return;
  context.print(renderTable(['consumer', 'pending'], summary.consumers.map((c) => [c.name, formatCount(c.pending)])));
  if (entries.length === 0) return context.print('no pending entries match the filters');
  const head = ['id', 'partition', 'consumer', 'idle', 'deliveries', ...(peeks ? ['data'] : [])];
  const rows = entries.map((e) => [
    e.id, e.partition, e.consumer, formatDuration(e.idleMs), e.deliveries, ...(peeks ? [peeks.get(`${e.partition}/${e.id}`) ?? '(deleted from the stream)'] : []),
  ]);
  context.print(renderTable(head, rows));
  if (entries.length === options.limit) context.print(`showing the oldest ${entries.length} matching entries; raise --limit to see more`);
}

/** Payload peeks keyed `<partition>/<id>`: ids are unique within a partition only. */
async function peekAll(context: AdminContext, stream: string, entries: readonly { id: string; partition: number; consumer: string; idleMs: number; deliveries: number }[]) {
  const byPartition = new Map<number, typeof entries[number][]>();
  for (const entry of entries) byPartition.set(entry.partition, [...(byPartition.get(entry.partition) ?? []), entry]);
  const peeks = new Map<string, string | null>();
  await Promise.all(
    [...byPartition].map(async ([partition, list]) => {
      const found = await peekPayloads(context, context.keys.partitionName(stream, partition), list);
      for (const [id, peek] of found) peeks.set(`${partition}/${id}`, peek);
    }),
  );
  return peeks;
}
