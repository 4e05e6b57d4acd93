/**
 * `redstream dlq list|show|replay|purge <stream>`: the dead letters of a stream
 * (`<prefix>:{stream}:dlq`), or of every partition of a partitioned stream (each partition
 * has its own, `<prefix>:{stream#i}:dlq`; `--partition <i>` narrows to one). Replay is atomic
 * per dead letter (replay-dead-letter-3.lua), so a replay killed halfway and run again
 * re-publishes each message exactly once, to the partition it came from.
 */
import { Option, type Command } from 'commander';
import {
  countDeadLetters,
  compareEntryIds,
  countEntries,
  DEAD_LETTER_REASONS,
  deleteDeadLetters,
  readDeadLetter,
  replayDeadLetters as replaySelection,
  selectDeadLetters,
  trimDeadLetters,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterSelection,
  type ReplayCounts,
} from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatAge, formatCount, renderRecord, renderTable, truncate } from '../support/format.js';
import { collectEntryIds, parseDuration, parseEntryId, parsePositiveInteger, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG, resolveTargets, type StreamTarget, type StreamTargets } from '../support/partition-targets.js';
import { startProgress } from '../support/progress.js';
import { UsageError } from '../support/usage-error.js';

interface PartitionOption {
  partition?: number;
}

interface ReplayOptions extends DeadLetterFilter, PartitionOption {
  limit?: number;
  batch: number;
  rate?: number;
  dryRun?: boolean;
}

interface PurgeOptions extends PartitionOption {
  all?: boolean;
  olderThan?: number;
  dryRun?: boolean;
}

const LIST_LIMIT = 20;
const GROUP_FILTER = new Option('-g, --group <group>', 'only dead letters of this group');
const REASON_FILTER = new Option('--reason <reason>', 'only dead letters with this reason').choices(DEAD_LETTER_REASONS);
const ERROR_WIDTH = 60;
const PARTITION_DESCRIPTION = 'a partitioned stream: only this partition (default: every partition)';

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('inspect, replay and purge dead letters (list|show|replay|purge)');

  dlq
    .command('list')
    .description('dead letters, oldest first: original id, group, reason, deliveries, age, error')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option(`${PARTITION_FLAG}`, PARTITION_DESCRIPTION, parsePartitionIndex)
    .option('-n, --limit <n>', 'at most this many', parsePositiveInteger, LIST_LIMIT)
    .addOption(GROUP_FILTER)
    .addOption(REASON_FILTER)
    .action(adminAction(listDeadLetters));

  dlq
    .command('show')
    .description('one dead letter in full: failure details, stack and original fields')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option(`${PARTITION_FLAG}`, PARTITION_DESCRIPTION, parsePartitionIndex)
    .argument('<id>', 'dead-letter entry id (from dlq list)', parseEntryId)
    .action(adminAction(showDeadLetter));

  dlq
    .command('replay')
    .description('re-publish dead letters to their stream and remove them from the DLQ, exactly once even if interrupted')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option(`${PARTITION_FLAG}`, PARTITION_DESCRIPTION, parsePartitionIndex)
    .argument('[ids...]', 'only these dead-letter ids (default: all, oldest first)', collectEntryIds)
    .addOption(GROUP_FILTER)
    .addOption(REASON_FILTER)
    .option('-n, --limit <n>', 'at most this many', parsePositiveInteger)
    .option('--batch <n>', 'dead letters per round trip', parsePositiveInteger, 100)
    .option('--rate <n>', 'at most this many per second, to spare the workers', parsePositiveInteger)
    .option('--dry-run', 'show what would be replayed, change nothing')
    .action(adminAction(replayDeadLetters));

  dlq
    .command('purge')
    .description('delete dead letters: by id, --older-than a duration, or --all')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option(`${PARTITION_FLAG}`, PARTITION_DESCRIPTION, parsePartitionIndex)
    .argument('[ids...]', 'dead-letter ids to delete', collectEntryIds)
    .option('--all', 'every dead letter of the stream')
    .option('--older-than <duration>', 'dead letters older than this, e.g. 7d', parseDuration)
    .option('--dry-run', 'show how many would be deleted, delete nothing')
    .action(adminAction(purgeDeadLetters));
}

interface PartitionedDeadLetter extends DeadLetter {
  partition?: number;
}

/** `partition` is set only for a partitioned stream, so a plain stream's JSON is as it always was. */
function tagged<T extends object>(value: T, target: StreamTarget): T & { partition?: number } {
  return target.partition === undefined ? value : { ...value, partition: target.partition };
}

/** `rs:{s}:dlq`, or `rs:{s#0}:dlq … rs:{s#3}:dlq (4 partitions)`, for messages. */
function describeKeys(context: AdminContext, stream: string, { partitionCount, targets }: StreamTargets): string {
  const key = (target: StreamTarget): string => context.keys.forStream(target.stream).deadLetter;
  if (partitionCount === 0) return key(targets[0]);
  if (targets.length === 1) return `${key(targets[0])} (partition ${targets[0].partition} of ${stream})`;
  return `${key(targets[0])} … ${key(targets[targets.length - 1])} (${partitionCount} partitions of ${stream})`;
}

async function listDeadLetters(context: AdminContext, stream: string, options: DeadLetterFilter & PartitionOption & { limit: number }): Promise<void> {
  const { connection, keys } = context;
  const resolved = await resolveTargets(context, stream, options.partition);
  const perTarget = await Promise.all(
    resolved.targets.map(async (target) => {
      const total = await countDeadLetters(connection, keys, target.stream);
      const found: PartitionedDeadLetter[] = [];
      for await (const page of selectDeadLetters(connection, keys, target.stream, { filter: options, limit: options.limit })) found.push(...page.map((d) => tagged(d, target)));
      return { target, total, found };
    }),
  );
  const total = perTarget.reduce((sum, t) => sum + t.total, 0);
  // Oldest first over every partition: dead-letter ids are the times they failed.
  const deadLetters = perTarget.flatMap((t) => t.found).sort((a, b) => compareEntryIds(a.id, b.id)).slice(0, options.limit);
  const partitioned = resolved.partitionCount > 0;
  if (context.json) {
    if (!partitioned) return context.printJson({ stream, key: keys.forStream(stream).deadLetter, total, deadLetters });
    const partitions = perTarget.map((t) => ({ partition: t.target.partition, key: keys.forStream(t.target.stream).deadLetter, total: t.total }));
    return context.printJson({ stream, partitionCount: resolved.partitionCount, total, deadLetters, partitions });
  }
  context.print(`${formatCount(total)} dead letters in ${describeKeys(context, stream, resolved)}`);
  if (deadLetters.length === 0) return;
  const now = Date.now();
  const rows = deadLetters.map((d) => [
    d.id, ...(partitioned ? [d.partition ?? '-'] : []), d.originalId ?? '-', d.group ?? '-', d.reason ?? '-', d.deliveries ?? '-', formatAge(d.failedAt, now), truncate(d.error ?? '', ERROR_WIDTH),
  ]);
  context.print(renderTable(['id', ...(partitioned ? ['partition'] : []), 'original id', 'group', 'reason', 'deliveries', 'failed', 'error'], rows));
  if (deadLetters.length === options.limit && total > options.limit) context.print(`showing the oldest ${deadLetters.length}; raise --limit to see more`);
}

async function showDeadLetter(context: AdminContext, stream: string, id: string, options: PartitionOption): Promise<void> {
  const resolved = await resolveTargets(context, stream, options.partition);
  const found = (
    await Promise.all(resolved.targets.map(async (target) => {
      const deadLetter = await readDeadLetter(context.connection, context.keys, target.stream, id);
      return deadLetter && tagged(deadLetter, target);
    }))
  ).filter((d): d is PartitionedDeadLetter => d !== undefined);
  if (found.length === 0) throw new Error(`dead letter ${id} not found in ${describeKeys(context, stream, resolved)}`);
  if (found.length > 1) {
    const partitions = found.map((d) => d.partition).join(', ');
    throw new UsageError(`dead letter id ${id} is in partitions ${partitions} of ${stream} (ids are per partition); name one with ${PARTITION_FLAG}`);
  }
  const deadLetter = found[0];
  if (context.json) return context.printJson(deadLetter);
  const failedAt = deadLetter.failedAt === null ? '-' : `${new Date(deadLetter.failedAt).toISOString()} (${formatAge(deadLetter.failedAt)})`;
  context.print(
    renderRecord([
      ['id', deadLetter.id],
      ...(deadLetter.partition === undefined ? [] : [['partition', String(deadLetter.partition)] as [string, string]]),
      ['original id', deadLetter.originalId ?? '-'],
      ['message id', deadLetter.messageId ?? '-'],
      ['group', deadLetter.group ?? '-'],
      ['consumer', deadLetter.consumer ?? '-'],
      ['reason', deadLetter.reason ?? '-'],
      ['deliveries', String(deadLetter.deliveries ?? '-')],
      // The level stream replay writes it back to.
      ['priority', deadLetter.priority],
      ['failed at', failedAt],
      ['error', deadLetter.error ?? '-'],
      ['stack', deadLetter.stack || '-'],
    ]),
  );
  context.print('\noriginal fields (what replay re-publishes):');
  context.print(renderRecord(Object.entries(deadLetter.fields).map(([name, value]): [string, string] => [`  ${name}`, prettyJson(value)])));
}

/** What a selection means for one partition: the same filter, the ids it holds, the limit left. */
function selectionFor(ids: string[] | undefined, options: ReplayOptions, done: number): DeadLetterSelection {
  return ids?.length ? { ids } : { filter: options, limit: options.limit === undefined ? undefined : Math.max(0, options.limit - done) };
}

async function replayDeadLetters(context: AdminContext, stream: string, ids: string[] | undefined, options: ReplayOptions): Promise<void> {
  const { connection, keys } = context;
  const resolved = await resolveTargets(context, stream, options.partition);
  requireOnePartitionForIds(stream, resolved, ids, 'dlq replay');
  if (options.dryRun) return previewReplay(context, stream, resolved, ids, options);

  const lengths = await Promise.all(resolved.targets.map((t) => countDeadLetters(connection, keys, t.stream)));
  const total = ids?.length || Math.min(options.limit ?? Infinity, lengths.reduce((sum, n) => sum + n, 0));
  const progress = startProgress('replaying', total);
  const started = Date.now();
  let processed = 0;
  const perTarget: { target: StreamTarget; counts: ReplayCounts }[] = [];
  for (const target of resolved.targets) {
    const before = processed;
    const selection = selectionFor(ids, options, processed);
    if ('limit' in selection && selection.limit === 0) break;
    // Each partition's dead letters go back to that partition's stream (the key of the stream they failed on).
    const counts = await replaySelection(connection, keys, target.stream, selection, {
      pageSize: options.batch,
      onPage: async (done) => {
        processed = before + done;
        progress.update(processed);
        if (options.rate) await pace(started, processed, options.rate);
      },
    });
    perTarget.push({ target, counts });
  }
  progress.finish();
  const counts = sumReplayCounts(perTarget.map((t) => t.counts));
  const { notFound, ...outcomes } = counts;
  if (resolved.partitionCount === 0) {
    const k = keys.forStream(stream);
    if (context.json) return context.printJson({ stream, key: k.stream, deadLetterKey: k.deadLetter, dryRun: false, ...outcomes, notFound });
    context.print(`replayed ${formatCount(counts.replayed)} dead letters from ${k.deadLetter} to ${k.stream}`);
  } else {
    const partitions = perTarget.map(({ target, counts: c }) => {
      const k = keys.forStream(target.stream);
      return { partition: target.partition, key: k.stream, deadLetterKey: k.deadLetter, replayed: c.replayed, alreadyReplayed: c.alreadyReplayed, gone: c.gone };
    });
    if (context.json) return context.printJson({ stream, partitionCount: resolved.partitionCount, dryRun: false, ...outcomes, notFound, partitions });
    for (const p of partitions) context.print(`partition ${p.partition}: replayed ${formatCount(p.replayed)} dead letters from ${p.deadLetterKey} to ${p.key}`);
    context.print(`replayed ${formatCount(counts.replayed)} dead letters of ${stream}, each to the partition it came from`);
  }
  if (counts.alreadyReplayed > 0) context.print(`removed ${counts.alreadyReplayed} dead letters whose original entry had already been replayed`);
  if (counts.gone + notFound > 0) context.warn(`${counts.gone + notFound} dead letters were not found (purged or replayed by someone else)`);
}

/**
 * Dead-letter ids are per partition (two partitions' dead letters often share one), so acting
 * on ids of a partitioned stream needs the partition: otherwise one id could replay two messages.
 */
function requireOnePartitionForIds(stream: string, { partitionCount, targets }: StreamTargets, ids: string[] | undefined, command: string): void {
  if (!ids?.length || targets.length === 1) return;
  throw new UsageError(`stream ${stream} has ${partitionCount} partitions and dead-letter ids are per partition; ${command} <ids...> needs ${PARTITION_FLAG} (0 to ${partitionCount - 1})`);
}

function sumReplayCounts(all: readonly ReplayCounts[]): ReplayCounts {
  const sum: ReplayCounts = { replayed: 0, alreadyReplayed: 0, gone: 0, notFound: 0 };
  for (const c of all) {
    sum.replayed += c.replayed;
    sum.alreadyReplayed += c.alreadyReplayed;
    sum.gone += c.gone;
    sum.notFound += c.notFound;
  }
  return sum;
}

async function previewReplay(context: AdminContext, stream: string, resolved: StreamTargets, ids: string[] | undefined, options: ReplayOptions): Promise<void> {
  const partitions: { target: StreamTarget; ids: string[] }[] = [];
  let count = 0;
  for (const target of resolved.targets) {
    const selection = selectionFor(ids, options, count);
    if ('limit' in selection && selection.limit === 0) break;
    const found: string[] = [];
    for await (const page of selectDeadLetters(context.connection, context.keys, target.stream, selection)) found.push(...page.map((d) => d.id));
    partitions.push({ target, ids: found });
    count += found.length;
  }
  const all = partitions.flatMap((p) => p.ids);
  if (resolved.partitionCount === 0) {
    const k = context.keys.forStream(stream);
    if (context.json) return context.printJson({ stream, key: k.stream, deadLetterKey: k.deadLetter, dryRun: true, count, ids: all });
    return context.print(`would replay ${formatCount(count)} dead letters from ${k.deadLetter} to ${k.stream}`);
  }
  const detail = partitions.map((p) => ({ partition: p.target.partition, key: context.keys.stream(p.target.stream), deadLetterKey: context.keys.forStream(p.target.stream).deadLetter, count: p.ids.length, ids: p.ids }));
  if (context.json) return context.printJson({ stream, partitionCount: resolved.partitionCount, dryRun: true, count, ids: all, partitions: detail });
  for (const p of detail) context.print(`partition ${p.partition}: would replay ${formatCount(p.count)} dead letters from ${p.deadLetterKey} to ${p.key}`);
  context.print(`would replay ${formatCount(count)} dead letters of ${stream}`);
}

async function purgeDeadLetters(context: AdminContext, stream: string, ids: string[] | undefined, options: PurgeOptions): Promise<void> {
  const selectors = [ids?.length ? 'ids' : undefined, options.all ? '--all' : undefined, options.olderThan !== undefined ? '--older-than' : undefined].filter(Boolean);
  if (selectors.length !== 1) throw new UsageError('dlq purge needs exactly one of: dead-letter ids, --older-than <duration>, --all');
  const resolved = await resolveTargets(context, stream, options.partition);
  requireOnePartitionForIds(stream, resolved, ids, 'dlq purge');
  const minId = options.olderThan === undefined ? undefined : `${Date.now() - options.olderThan}-0`;
  const partitions = await Promise.all(
    resolved.targets.map(async (target) => ({ target, deadLetterKey: context.keys.forStream(target.stream).deadLetter, count: await purgeOne(context, target.stream, ids, minId, options.dryRun === true) })),
  );
  const count = partitions.reduce((sum, p) => sum + p.count, 0);
  const verb = options.dryRun ? 'would delete' : 'deleted';
  if (resolved.partitionCount === 0) {
    const key = partitions[0].deadLetterKey;
    if (context.json) return context.printJson({ stream, deadLetterKey: key, dryRun: options.dryRun === true, count });
    return context.print(`${verb} ${formatCount(count)} dead letters from ${key}`);
  }
  const detail = partitions.map((p) => ({ partition: p.target.partition, deadLetterKey: p.deadLetterKey, count: p.count }));
  if (context.json) return context.printJson({ stream, partitionCount: resolved.partitionCount, dryRun: options.dryRun === true, count, partitions: detail });
  for (const p of detail) context.print(`partition ${p.partition}: ${verb} ${formatCount(p.count)} dead letters from ${p.deadLetterKey}`);
  context.print(`${verb} ${formatCount(count)} dead letters of ${stream}`);
}

async function purgeOne(context: AdminContext, stream: string, ids: string[] | undefined, minId: string | undefined, dryRun: boolean): Promise<number> {
  const { connection, keys } = context;
  if (ids?.length) {
    return dryRun
      ? (await Promise.all(ids.map((id) => readDeadLetter(connection, keys, stream, id)))).filter(Boolean).length
      : deleteDeadLetters(connection, keys, stream, ids);
  }
  if (minId !== undefined) return dryRun ? countEntries(connection, keys.forStream(stream).deadLetter, { before: minId }) : trimDeadLetters(connection, keys, stream, minId);
  return dryRun ? countDeadLetters(connection, keys, stream) : trimDeadLetters(connection, keys, stream);
}

/** Waits until `done` items over the elapsed time is at most `perSecond`. */
async function pace(started: number, done: number, perSecond: number): Promise<void> {
  const due = started + (done / perSecond) * 1_000;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

function prettyJson(value: string): string {
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}
