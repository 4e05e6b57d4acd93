/**
 * `redstream trim <stream> --safe|--maxlen n|--minid id`: retention by hand. `--safe` applies
 * the core's retention rule (trim-acked-1.lua): nothing a group still has pending or unread.
 */
import type { Command } from 'commander';
import { countEntries, readStreamStats, trimSafely, trimStream, UnknownStreamError } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatCount } from '../support/format.js';
import { compareEntryIds, parseEntryId, parseNonNegativeInteger, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { startProgress } from '../support/progress.js';
import { UsageError } from '../support/usage-error.js';

interface TrimOptions {
  safe?: boolean;
  maxlen?: number;
  minid?: string;
  approx?: boolean;
  dryRun?: boolean;
}

type Mode = 'safe' | 'maxlen' | 'minid';

export function registerTrimCommand(program: Command): void {
  program
    .command('trim')
    .description('trim a stream by hand: --safe (never what a group still needs), --maxlen n or --minid id')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option('--safe', 'remove only entries every group has read and acknowledged (the retention rule)')
    .option('--maxlen <n>', 'keep at most n entries (may drop entries not yet processed)', parseNonNegativeInteger)
    .option('--minid <id>', 'remove entries older than this id (may drop entries not yet processed)', parseEntryId)
    .option('--approx', 'trim with ~ (whole radix-tree nodes only: cheaper, may keep a few more)')
    .option('--dry-run', 'show how many entries would be removed, remove nothing')
    .action(adminAction(trim));
}

async function trim(context: AdminContext, stream: string, options: TrimOptions): Promise<void> {
  const modes = (['safe', 'maxlen', 'minid'] as const).filter((mode) => options[mode] !== undefined && options[mode] !== false);
  if (modes.length !== 1) throw new UsageError('trim needs exactly one of --safe, --maxlen <n>, --minid <id>');
  const mode: Mode = modes[0];
  const { connection, keys } = context;
  const stats = await readStreamStats(connection, keys, stream);
  if (!stats.exists) throw new UnknownStreamError(stream, stats.key);
  const exact = !options.approx;
  const { minId: safeMinId } = await trimSafely(connection, keys, stream, { dryRun: true });

  if (safeMinId !== null && (await cutsNeededEntries(context, stats.key, mode, options, safeMinId))) {
    context.warn(`--${mode} ${options[mode]} reaches past ${safeMinId}, the oldest entry a group still needs: entries not yet processed ${options.dryRun ? 'would be' : 'are'} lost for that group`);
  }
  let trimmed: number;
  if (options.dryRun) trimmed = await countRemovable(context, stats.key, stats.length, mode, options, safeMinId);
  else if (mode === 'safe') trimmed = (await trimSafely(connection, keys, stream, { exact })).trimmed;
  else trimmed = await trimStream(connection, keys, stream, mode === 'maxlen' ? { maxLen: options.maxlen! } : { minId: options.minid! }, { exact });

  if (context.json) {
    return context.printJson({ stream, key: stats.key, mode, exact, dryRun: options.dryRun === true, lengthBefore: stats.length, trimmed, safeMinId });
  }
  const verb = options.dryRun ? (exact ? 'would remove' : 'would remove up to') : 'removed';
  context.print(`${verb} ${formatCount(trimmed)} of ${formatCount(stats.length)} entries from ${stats.key}`);
  if (safeMinId === null) context.print('the stream has no consumer group: --safe keeps every entry until a group reads it');
  else context.print(`oldest entry a group still needs: ${safeMinId}`);
}

/** Whether a hard cap removes an entry at or after `safeMinId` (one a group has not acked or read). */
async function cutsNeededEntries(context: AdminContext, key: string, mode: Mode, options: TrimOptions, safeMinId: string): Promise<boolean> {
  if (mode === 'minid') return compareEntryIds(options.minid!, safeMinId) > 0;
  if (mode === 'maxlen') {
    const needed = await countEntries(context.connection, key, { from: safeMinId }, { stopAt: options.maxlen! + 1 });
    return needed > options.maxlen!;
  }
  return false;
}

async function countRemovable(context: AdminContext, key: string, length: number, mode: Mode, options: TrimOptions, safeMinId: string | null): Promise<number> {
  if (mode === 'maxlen') return Math.max(0, length - options.maxlen!);
  const before = mode === 'minid' ? options.minid! : safeMinId;
  if (before === null) return 0;
  const progress = startProgress('counting', length);
  const count = await countEntries(context.connection, key, { before }, { onPage: (counted) => progress.update(counted) });
  progress.finish();
  return count;
}
