/** `redstream ack <stream> <ids...>`: acknowledges pending entries by hand (XACK). */
import type { Command } from 'commander';
import { ackSelection, PRIORITY_LEVELS, resolveGroup, selectPendingEntries, type PriorityLevel } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { collectEntryIds, parsePriority, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG, resolveSingleTarget } from '../support/partition-targets.js';
import { describeSkipped, renderPendingEntries } from '../support/pending-selection.js';

export function registerAckCommand(program: Command): void {
  program
    .command('ack')
    .description('acknowledge pending entries by id (XACK): the group will not process them again')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .argument('<ids...>', 'entry ids, as Redis prints them', collectEntryIds)
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .option('--dry-run', 'show what would be acknowledged, acknowledge nothing')
    .option('-p, --priority <level>', `the priority level's stream the ids are on (${PRIORITY_LEVELS.join(', ')}; default normal, the stream itself)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: the partition the ids are in (required there: ids are per partition)', parsePartitionIndex)
    .action(
      adminAction(async (context, stream: string, ids: string[], options: { group?: string; dryRun?: boolean; priority?: PriorityLevel; partition?: number }) => {
        const target = await resolveSingleTarget(context, stream, options.partition, 'ack');
        const priority = options.priority ?? 'normal';
        const { name: group } = await resolveGroup(context.connection, context.keys, target.stream, options.group);
        const selection = await selectPendingEntries(context.connection, context.keys, target.stream, group, ids, 0, priority);
        const { selected, skipped } = selection;
        const acked = selected.map((e) => e.id);
        // XACK's count can be lower than the ids checked if a worker acked some meanwhile.
        const count = options.dryRun ? acked.length : await ackSelection(context.connection, context.keys, target.stream, group, selection, priority);
        const where = { ...(options.priority !== undefined && { priority }), ...(target.partition !== undefined && { partition: target.partition }) };
        const key = context.keys.levelStream(target.stream, priority);
        if (context.json) return context.printJson({ stream, key, group, ...where, dryRun: options.dryRun === true, count, acked, skipped });
        if (selected.length > 0) context.print(renderPendingEntries(selected));
        const on = Object.keys(where).length > 0 ? ` of ${key}` : '';
        context.print(`${options.dryRun ? 'would acknowledge' : 'acknowledged'} ${count} entries${on} in group ${group}`);
        if (skipped.length > 0) context.warn(`skipped ${skipped.length}: ${describeSkipped(skipped)}`);
      }),
    );
}
