/**
 * `redstream trim <stream> --safe|--maxlen n|--minid id`: retention by hand. `--safe` applies
 * the core's retention rule (trim-acked-1.lua): nothing a group still has pending or unread.
 * One level's stream with `--priority`; a partitioned stream's partitions one by one with
 * `--safe`, or the one `--partition` names (a hard cap is per partition stream).
 */
import type { Command } from 'commander';
import { countEntries, PRIORITY_LEVELS, readStreamLength, trimSafely, trimStream, UnknownStreamError, type PriorityLevel } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatCount } from '../support/format.js';
import { compareEntryIds, parseEntryId, parseNonNegativeInteger, parsePriority, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG, resolveTargets, type StreamTarget } from '../support/partition-targets.js';
import { startProgress } from '../support/progress.js';
import { UsageError } from '../support/usage-error.js';

interface TrimOptions {
  safe?: boolean;
  maxlen?: number;
  minid?: string;
  approx?: boolean;
  dryRun?: boolean;
  priority?: PriorityLevel;
  partition?: number;
}

interface TrimResult {
  key: string;
  partition?: number;
  lengthBefore: number;
  trimmed: number;
  safeMinId: string | null;
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
    .option('-p, --priority <level>', `the priority level's stream to trim (${PRIORITY_LEVELS.join(', ')}; default normal, the stream itself)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: only this partition (--safe default: every partition; --maxlen/--minid need it)', parsePartitionIndex)
    .action(adminAction(trim));
}

async function trim(context: AdminContext, stream: string, options: TrimOptions): Promise<void> {
  const modes = (['safe', 'maxlen', 'minid'] as const).filter((mode) => options[mode] !== undefined && options[mode] !== false);
  if (modes.length !== 1) throw new UsageError('trim needs exactly one of --safe, --maxlen <n>, --minid <id>');
  const mode: Mode = modes[0];
  const { partitionCount, targets } = await resolveTargets(context, stream, options.partition);
  if (targets.length > 1 && mode !== 'safe') {
    throw new UsageError(`stream ${stream} has ${partitionCount} partitions; --${mode} caps one partition stream, so it needs ${PARTITION_FLAG} (0 to ${partitionCount - 1}); --safe trims every partition`);
  }
  const priority = options.priority ?? 'normal';
  const exact = !options.approx;
  const results: TrimResult[] = [];
  for (const target of targets) results.push(await trimOne(context, target, mode, options, priority));

  if (partitionCount === 0) {
    const [{ key, lengthBefore, trimmed, safeMinId }] = results;
    const where = { ...(options.priority !== undefined && { priority }) };
    if (context.json) return context.printJson({ stream, key, ...where, mode, exact, dryRun: options.dryRun === true, lengthBefore, trimmed, safeMinId });
    return printResult(context, results[0], options, exact);
  }
  const trimmed = results.reduce((sum, r) => sum + r.trimmed, 0);
  if (context.json) return context.printJson({ stream, partitionCount, mode, exact, dryRun: options.dryRun === true, trimmed, partitions: results });
  for (const result of results) printResult(context, result, options, exact);
  if (results.length > 1) context.print(`${options.dryRun ? 'would remove' : 'removed'} ${formatCount(trimmed)} entries over ${results.length} partitions of ${stream}`);
}

async function trimOne(context: AdminContext, target: StreamTarget, mode: Mode, options: TrimOptions, priority: PriorityLevel): Promise<TrimResult> {
  const { connection, keys } = context;
  const key = keys.levelStream(target.stream, priority);
  const { exists, length } = await readStreamLength(connection, key);
  const located = { key, ...(target.partition !== undefined && { partition: target.partition }) };
  if (!exists) {
    // A partition nothing was published to yet has nothing to trim; a stream named on its own must exist.
    if (target.partition !== undefined && options.partition === undefined) return { ...located, lengthBefore: 0, trimmed: 0, safeMinId: null };
    throw new UnknownStreamError(target.stream, key);
  }
  const exact = !options.approx;
  const { minId: safeMinId } = await trimSafely(connection, keys, target.stream, { dryRun: true, priority });

  if (safeMinId !== null && (await cutsNeededEntries(context, key, mode, options, safeMinId))) {
    context.warn(`--${mode} ${options[mode]} reaches past ${safeMinId}, the oldest entry a group still needs: entries not yet processed ${options.dryRun ? 'would be' : 'are'} lost for that group`);
  }
  let trimmed: number;
  if (options.dryRun) trimmed = await countRemovable(context, key, length, mode, options, safeMinId);
  else if (mode === 'safe') trimmed = (await trimSafely(connection, keys, target.stream, { exact, priority })).trimmed;
  else trimmed = await trimStream(connection, keys, target.stream, mode === 'maxlen' ? { maxLen: options.maxlen! } : { minId: options.minid! }, { exact, priority });
  return { ...located, lengthBefore: length, trimmed, safeMinId };
}

function printResult(context: AdminContext, result: TrimResult, options: TrimOptions, exact: boolean): void {
  const verb = options.dryRun ? (exact ? 'would remove' : 'would remove up to') : 'removed';
  const head = result.partition === undefined ? '' : `partition ${result.partition}: `;
  context.print(`${head}${verb} ${formatCount(result.trimmed)} of ${formatCount(result.lengthBefore)} entries from ${result.key}`);
  if (result.safeMinId === null) context.print(`${head}the stream has no consumer group: --safe keeps every entry until a group reads it`);
  else context.print(`${head}oldest entry a group still needs: ${result.safeMinId}`);
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
