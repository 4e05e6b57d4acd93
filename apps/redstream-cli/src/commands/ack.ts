/** `redstream ack <stream> <ids...>`: acknowledges pending entries by hand (XACK). */
import type { Command } from 'commander';
import { ackSelection, resolveGroup, selectPendingEntries } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { collectEntryIds, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { describeSkipped, renderPendingEntries } from '../support/pending-selection.js';

export function registerAckCommand(program: Command): void {
  program
    .command('ack')
    .description('acknowledge pending entries by id (XACK): the group will not process them again')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .argument('<ids...>', 'entry ids, as Redis prints them', collectEntryIds)
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .option('--dry-run', 'show what would be acknowledged, acknowledge nothing')
    .action(
      adminAction(async (context, stream: string, ids: string[], options: { group?: string; dryRun?: boolean }) => {
        const { name: group } = await resolveGroup(context.connection, context.keys, stream, options.group);
        const selection = await selectPendingEntries(context.connection, context.keys, stream, group, ids);
        const { selected, skipped } = selection;
        const acked = selected.map((e) => e.id);
        // XACK's count can be lower than the ids checked if a worker acked some meanwhile.
        const count = options.dryRun ? acked.length : await ackSelection(context.connection, context.keys, stream, group, selection);
        if (context.json) return context.printJson({ stream, key: context.keys.stream(stream), group, dryRun: options.dryRun === true, count, acked, skipped });
        if (selected.length > 0) context.print(renderPendingEntries(selected));
        context.print(`${options.dryRun ? 'would acknowledge' : 'acknowledged'} ${count} entries in group ${group}`);
        if (skipped.length > 0) context.warn(`skipped ${skipped.length}: ${describeSkipped(skipped)}`);
      }),
    );
}
