/**
 * `redstream dlq list|show|replay|purge <stream>`: the dead letters of a stream
 * (`<prefix>:{stream}:dlq`). Replay is atomic per dead letter (replay-dead-letter-3.lua),
 * so a replay killed halfway and run again re-publishes each message exactly once.
 */
import { Option, type Command } from 'commander';
import {
  countDeadLetters,
  countEntries,
  DEAD_LETTER_REASONS,
  deleteDeadLetters,
  readDeadLetter,
  replayDeadLetters as replaySelection,
  selectDeadLetters,
  trimDeadLetters,
  type DeadLetterFilter,
  type DeadLetterSelection,
} from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatAge, formatCount, renderRecord, renderTable, truncate } from '../support/format.js';
import { collectEntryIds, parseDuration, parseEntryId, parsePositiveInteger, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { startProgress } from '../support/progress.js';
import { UsageError } from '../support/usage-error.js';

interface ReplayOptions extends DeadLetterFilter {
  limit?: number;
  batch: number;
  rate?: number;
  dryRun?: boolean;
}

interface PurgeOptions {
  all?: boolean;
  olderThan?: number;
  dryRun?: boolean;
}

const LIST_LIMIT = 20;
const GROUP_FILTER = new Option('-g, --group <group>', 'only dead letters of this group');
const REASON_FILTER = new Option('--reason <reason>', 'only dead letters with this reason').choices(DEAD_LETTER_REASONS);
const ERROR_WIDTH = 60;

export function registerDlqCommand(program: Command): void {
  const dlq = program.command('dlq').description('inspect, replay and purge dead letters (list|show|replay|purge)');

  dlq
    .command('list')
    .description('dead letters, oldest first: original id, group, reason, deliveries, age, error')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option('-n, --limit <n>', 'at most this many', parsePositiveInteger, LIST_LIMIT)
    .addOption(GROUP_FILTER)
    .addOption(REASON_FILTER)
    .action(adminAction(listDeadLetters));

  dlq
    .command('show')
    .description('one dead letter in full: failure details, stack and original fields')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .argument('<id>', 'dead-letter entry id (from dlq list)', parseEntryId)
    .action(adminAction(showDeadLetter));

  dlq
    .command('replay')
    .description('re-publish dead letters to their stream and remove them from the DLQ, exactly once even if interrupted')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
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
    .argument('[ids...]', 'dead-letter ids to delete', collectEntryIds)
    .option('--all', 'every dead letter of the stream')
    .option('--older-than <duration>', 'dead letters older than this, e.g. 7d', parseDuration)
    .option('--dry-run', 'show how many would be deleted, delete nothing')
    .action(adminAction(purgeDeadLetters));
}

async function listDeadLetters(context: AdminContext, stream: string, options: DeadLetterFilter & { limit: number }): Promise<void> {
  const total = await countDeadLetters(context.connection, context.keys, stream);
  const deadLetters = [];
  for await (const page of selectDeadLetters(context.connection, context.keys, stream, { filter: options, limit: options.limit })) deadLetters.push(...page);
  if (context.json) return context.printJson({ stream, key: context.keys.forStream(stream).deadLetter, total, deadLetters });
  context.print(`${formatCount(total)} dead letters in ${context.keys.forStream(stream).deadLetter}`);
  if (deadLetters.length === 0) return;
  const now = Date.now();
  const rows = deadLetters.map((d) => [d.id, d.originalId ?? '-', d.group ?? '-', d.reason ?? '-', d.deliveries ?? '-', formatAge(d.failedAt, now), truncate(d.error ?? '', ERROR_WIDTH)]);
  context.print(renderTable(['id', 'original id', 'group', 'reason', 'deliveries', 'failed', 'error'], rows));
  if (deadLetters.length === options.limit && total > options.limit) context.print(`showing the oldest ${deadLetters.length}; raise --limit to see more`);
}

async function showDeadLetter(context: AdminContext, stream: string, id: string): Promise<void> {
  const deadLetter = await readDeadLetter(context.connection, context.keys, stream, id);
  if (!deadLetter) throw new Error(`dead letter ${id} not found in ${context.keys.forStream(stream).deadLetter}`);
  if (context.json) return context.printJson(deadLetter);
  const failedAt = deadLetter.failedAt === null ? '-' : `${new Date(deadLetter.failedAt).toISOString()} (${formatAge(deadLetter.failedAt)})`;
  context.print(
    renderRecord([
      ['id', deadLetter.id],
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

async function replayDeadLetters(context: AdminContext, stream: string, ids: string[] | undefined, options: ReplayOptions): Promise<void> {
  const { connection, keys } = context;
  const k = keys.forStream(stream);
  const selection: DeadLetterSelection = ids?.length ? { ids } : { filter: options, limit: options.limit };
  if (options.dryRun) return previewReplay(context, stream, selection);

  const total = ids?.length || Math.min(options.limit ?? Infinity, await countDeadLetters(connection, keys, stream));
  const progress = startProgress('replaying', total);
  const started = Date.now();
  const counts = await replaySelection(connection, keys, stream, selection, {
    pageSize: options.batch,
    onPage: async (processed) => {
      progress.update(processed);
      if (options.rate) await pace(started, processed, options.rate);
    },
  });
  progress.finish();
  const { notFound, ...outcomes } = counts;
  if (context.json) return context.printJson({ stream, key: k.stream, deadLetterKey: k.deadLetter, dryRun: false, ...outcomes, notFound });
  context.print(`replayed ${formatCount(counts.replayed)} dead letters from ${k.deadLetter} to ${k.stream}`);
  if (counts.alreadyReplayed > 0) context.print(`removed ${counts.alreadyReplayed} dead letters whose original entry had already been replayed`);
  if (counts.gone + notFound > 0) context.warn(`${counts.gone + notFound} dead letters were not found (purged or replayed by someone else)`);
}

async function previewReplay(context: AdminContext, stream: string, selection: DeadLetterSelection): Promise<void> {
  const k = context.keys.forStream(stream);
  const ids: string[] = [];
  for await (const page of selectDeadLetters(context.connection, context.keys, stream, selection)) ids.push(...page.map((d) => d.id));
  if (context.json) return context.printJson({ stream, key: k.stream, deadLetterKey: k.deadLetter, dryRun: true, count: ids.length, ids });
  context.print(`would replay ${formatCount(ids.length)} dead letters from ${k.deadLetter} to ${k.stream}`);
}

async function purgeDeadLetters(context: AdminContext, stream: string, ids: string[] | undefined, options: PurgeOptions): Promise<void> {
  const selectors = [ids?.length ? 'ids' : undefined, options.all ? '--all' : undefined, options.olderThan !== undefined ? '--older-than' : undefined].filter(Boolean);
  if (selectors.length !== 1) throw new UsageError('dlq purge needs exactly one of: dead-letter ids, --older-than <duration>, --all');
  const { connection, keys } = context;
  const key = keys.forStream(stream).deadLetter;
  const minId = options.olderThan === undefined ? undefined : `${Date.now() - options.olderThan}-0`;
  let count: number;
  if (ids?.length) {
    count = options.dryRun
      ? (await Promise.all(ids.map((id) => readDeadLetter(connection, keys, stream, id)))).filter(Boolean).length
      : await deleteDeadLetters(connection, keys, stream, ids);
  } else if (minId !== undefined) {
    count = options.dryRun ? await countEntries(connection, key, { before: minId }) : await trimDeadLetters(connection, keys, stream, minId);
  } else {
    count = options.dryRun ? await countDeadLetters(connection, keys, stream) : await trimDeadLetters(connection, keys, stream);
  }
  if (context.json) return context.printJson({ stream, deadLetterKey: key, dryRun: options.dryRun === true, count });
  context.print(`${options.dryRun ? 'would delete' : 'deleted'} ${formatCount(count)} dead letters from ${key}`);
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
