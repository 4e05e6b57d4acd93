/**
 * `redstream claim <stream> [ids...] --to <consumer>`: moves pending entries to another
 * consumer (the named ids, or everything pending on `--from`), with `--dry-run`.
 */
import type { Command } from 'commander';
import { claimSelection, PRIORITY_LEVELS, readPendingEntries, resolveGroup, selectPendingEntries, type PendingSelection, type PriorityLevel } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { collectEntryIds, parseDuration, parsePositiveInteger, parsePriority, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG, resolveSingleTarget } from '../support/partition-targets.js';
import { describeSkipped, renderPendingEntries } from '../support/pending-selection.js';
import { UsageError } from '../support/usage-error.js';

interface ClaimOptions {
  group?: string;
  to: string;
  from?: string;
  minIdle: number;
  limit: number;
  dryRun?: boolean;
  priority?: PriorityLevel;
  partition?: number;
}

export function registerClaimCommand(program: Command): void {
  program
    .command('claim')
    .description('move pending entries to another consumer (XCLAIM; does not count as a delivery)')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .argument('[ids...]', 'entry ids to move, as Redis prints them', collectEntryIds)
    .requiredOption('--to <consumer>', 'consumer that takes the entries over')
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .option('--from <consumer>', 'instead of ids: every entry pending on this consumer')
    .option('--min-idle <duration>', 'only entries idle at least this long', parseDuration, 0)
    .option('-n, --limit <n>', 'with --from: at most this many entries', parsePositiveInteger, 1_000)
    .option('--dry-run', 'show what would move, move nothing')
    .option('-p, --priority <level>', `the priority level's stream to claim on (${PRIORITY_LEVELS.join(', ')}; default normal, the stream itself)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: the partition to claim in (required there: ids are per partition)', parsePartitionIndex)
    .action(
      adminAction(async (context, stream: string, ids: string[] | undefined, options: ClaimOptions) => {
        if ((ids?.length ?? 0) > 0 === (options.from !== undefined)) throw new UsageError('claim needs either entry ids or --from <consumer>, not both');
        const target = await resolveSingleTarget(context, stream, options.partition, 'claim');
        const priority = options.priority ?? 'normal';
        const { name: group } = await resolveGroup(context.connection, context.keys, target.stream, options.group);
        const selection = ids?.length
          ? await selectPendingEntries(context.connection, context.keys, target.stream, group, ids, options.minIdle, priority)
          : await selectFromConsumer(context, target.stream, group, options, priority);
        const { claimed: moved, skipped } = options.dryRun
          ? { claimed: selection.selected, skipped: selection.skipped }
          : await claimSelection(context.connection, context.keys, target.stream, group, options.to, selection, options.minIdle, priority);
        const claimed = moved.map((e) => e.id);
        const key = context.keys.levelStream(target.stream, priority);
        const where = { ...(options.priority !== undefined && { priority }), ...(target.partition !== undefined && { partition: target.partition }) };
        if (context.json) {
          return context.printJson({ stream, key, group, ...where, to: options.to, dryRun: options.dryRun === true, claimed, skipped });
        }
        if (moved.length > 0) context.print(renderPendingEntries(moved));
        const on = Object.keys(where).length > 0 ? ` of ${key}` : '';
        context.print(`${options.dryRun ? 'would claim' : 'claimed'} ${moved.length} entries${on} for consumer ${options.to} in group ${group}`);
        if (skipped.length > 0) context.warn(`skipped ${skipped.length}: ${describeSkipped(skipped)}`);
      }),
    );
}

async function selectFromConsumer(context: AdminContext, stream: string, group: string, options: ClaimOptions, priority: PriorityLevel): Promise<PendingSelection> {
  const selected = await readPendingEntries(context.connection, context.keys, stream, group, {
    consumer: options.from,
    minIdleMs: options.minIdle,
    limit: options.limit,
    priority,
  });
  return { selected, skipped: [] };
}
