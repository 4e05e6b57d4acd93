/**
 * `redstream claim <stream> [ids...] --to <consumer>`: moves pending entries to another
 * consumer (the named ids, or everything pending on `--from`), with `--dry-run`.
 */
import type { Command } from 'commander';
import { claimSelection, readPendingEntries, resolveGroup, selectPendingEntries, type PendingSelection } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { collectEntryIds, parseDuration, parsePositiveInteger, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { describeSkipped, renderPendingEntries } from '../support/pending-selection.js';
import { UsageError } from '../support/usage-error.js';

interface ClaimOptions {
  group?: string;
  to: string;
  from?: string;
  minIdle: number;
  limit: number;
  dryRun?: boolean;
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
    .action(
      adminAction(async (context, stream: string, ids: string[] | undefined, options: ClaimOptions) => {
        if ((ids?.length ?? 0) > 0 === (options.from !== undefined)) throw new UsageError('claim needs either entry ids or --from <consumer>, not both');
        const { name: group } = await resolveGroup(context.connection, context.keys, stream, options.group);
        const selection = ids?.length
          ? await selectPendingEntries(context.connection, context.keys, stream, group, ids, options.minIdle)
          : await selectFromConsumer(context, stream, group, options);
        const { claimed: moved, skipped } = options.dryRun
          ? { claimed: selection.selected, skipped: selection.skipped }
          : await claimSelection(context.connection, context.keys, stream, group, options.to, selection, options.minIdle);
        const claimed = moved.map((e) => e.id);
        if (context.json) {
          return context.printJson({ stream, key: context.keys.stream(stream), group, to: options.to, dryRun: options.dryRun === true, claimed, skipped });
        }
        if (moved.length > 0) context.print(renderPendingEntries(moved));
        context.print(`${options.dryRun ? 'would claim' : 'claimed'} ${moved.length} entries for consumer ${options.to} in group ${group}`);
        if (skipped.length > 0) context.warn(`skipped ${skipped.length}: ${describeSkipped(skipped)}`);
      }),
    );
}

async function selectFromConsumer(context: AdminContext, stream: string, group: string, options: ClaimOptions): Promise<PendingSelection> {
  const selected = await readPendingEntries(context.connection, context.keys, stream, group, {
    consumer: options.from,
    minIdleMs: options.minIdle,
    limit: options.limit,
  });
  return { selected, skipped: [] };
}
