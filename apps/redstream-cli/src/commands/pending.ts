/**
 * `redstream pending <stream>`: XPENDING's summary (count, min/max id, per consumer) and its
 * extended form (id, consumer, idle, deliveries), with an optional peek at the payloads.
 */
import type { Command } from 'commander';
import { partitionCountOf, readEntriesById, readPendingEntries, readPendingSummary, resolveGroup, type PendingEntry } from '@redstream/core';
import { printPartitionedPending } from './pending-partitions.js';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable, truncate } from '../support/format.js';
import { parseDuration, parsePositiveInteger, STREAM_ARGUMENT, parseStream } from '../support/parse.js';

interface PendingOptions {
  group?: string;
  consumer?: string;
  minIdle?: number;
  limit: number;
  showData?: boolean;
  partitions?: boolean;
}

const DEFAULT_LIMIT = 100;
/** Characters of payload shown by --show-data. */
const PEEK_WIDTH = 80;

export type { PendingOptions };

export function registerPendingCommand(program: Command): void {
  program
    .command('pending')
    .description('pending summary (count, min/max id, per consumer) and pending entries (id, consumer, idle, deliveries)')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .option('-c, --consumer <consumer>', 'only entries pending on this consumer')
    .option('--min-idle <duration>', 'only entries idle at least this long, e.g. 30s', parseDuration)
    .option('-n, --limit <n>', 'at most this many entries, oldest first', parsePositiveInteger, DEFAULT_LIMIT)
    .option('--show-data', `peek at each entry's payload (first ${PEEK_WIDTH} characters)`)
    .option('--partitions', 'a partitioned stream also shows the summary of each partition (by default: the totals)')
    .action(
      adminAction(async (context, stream: string, options: PendingOptions) => {
        const { connection, keys } = context;
        const { name: group } = await resolveGroup(connection, keys, stream, options.group);
        const partitions = await partitionCountOf(connection, keys, stream);
        if (partitions > 0) return printPartitionedPending(context, stream, partitions, group, options);
        const [summary, entries] = await Promise.all([
          readPendingSummary(connection, keys, stream, group),
          readPendingEntries(connection, keys, stream, group, { consumer: options.consumer, minIdleMs: options.minIdle, limit: options.limit }),
        ]);
        const peeks = options.showData ? await peekPayloads(context, stream, entries) : undefined;
        const shownEntries = entries.map((entry) => (peeks ? { ...entry, data: peeks.get(entry.id) ?? null } : entry));
        if (context.json) return context.printJson({ ...summary, entries: shownEntries });

        const range = summary.count > 0 ? ` (oldest ${summary.minId}, newest ${summary.maxId})` : '';
        context.print(`stream ${stream} (${summary.key}), group ${group}: ${formatCount(summary.count)} pending${range}`);
        if (summary.count === 0) return;
        context.print(renderTable(['consumer', 'pending'], summary.consumers.map((c) => [c.name, formatCount(c.pending)])));
        if (entries.length === 0) return context.print('no pending entries match the filters');
        const head = ['id', 'consumer', 'idle', 'deliveries', ...(peeks ? ['data'] : [])];
        const rows = entries.map((e) => [e.id, e.consumer, formatDuration(e.idleMs), e.deliveries, ...(peeks ? [peeks.get(e.id) ?? '(deleted from the stream)'] : [])]);
        context.print(renderTable(head, rows));
        if (entries.length === options.limit) context.print(`showing the oldest ${entries.length} matching entries; raise --limit to see more`);
      }),
    );
}

/** The first characters of each entry's `data` field; null for an entry trimmed or deleted since. */
export async function peekPayloads(context: AdminContext, stream: string, entries: readonly PendingEntry[]): Promise<Map<string, string | null>> {
  const fields = await readEntriesById(context.connection, context.keys, stream, entries.map((e) => e.id));
  return new Map([...fields].map(([id, entry]) => [id, entry === null ? null : truncate(entry.data ?? JSON.stringify(entry), PEEK_WIDTH)]));
}
