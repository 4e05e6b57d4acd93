/** `redstream jobs <stream> --state s`: messages in one state, a page at a time (listJobs of the core). */
import { Option, type Command } from 'commander';
import { LISTABLE_JOB_STATES, listJobs, PRIORITY_LEVELS, type JobListItem, type ListableJobState, type PriorityLevel } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatDuration, renderTable, truncate } from '../support/format.js';
import { parsePositiveInteger, parsePriority } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG } from '../support/partition-targets.js';

interface JobsOptions {
  state: ListableJobState;
  group?: string;
  limit: number;
  cursor?: string;
  priority?: PriorityLevel;
  partition?: number;
}

const DEFAULT_LIMIT = 50;
const ERROR_WIDTH = 50;

export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description('messages in one state (waiting, active, retrying, delayed, dead-lettered), oldest first, paginated')
    .argument('<stream>', 'logical stream name')
    .addOption(new Option('-s, --state <state>', 'which state').choices(LISTABLE_JOB_STATES).makeOptionMandatory())
    .option('-g, --group <group>', "consumer group (default: the stream's only group; dead-lettered: every group)")
    .option('-n, --limit <n>', 'at most this many', parsePositiveInteger, DEFAULT_LIMIT)
    .option('--cursor <cursor>', 'go on from the nextCursor a previous page printed')
    .option('-p, --priority <level>', `only this priority level (${PRIORITY_LEVELS.join(', ')}; default: every level)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: only this partition (default: the stream and every partition)', parsePartitionIndex)
    .action(
      adminAction(async (context, stream: string, options: JobsOptions) => {
        const page = await listJobs(context.connection, context.keys, stream, options);
        if (context.json) return context.printJson(page);
        const where = page.group === undefined ? '' : `, group ${page.group}`;
        if (page.jobs.length === 0) return context.print(`stream ${stream}${where}: nothing ${page.state}`);
        // A stream with levels or partitions: each job says where it is.
        const located = page.jobs.some((job) => job.priority !== undefined);
        const locationOf = (job: JobListItem) => (job.partition === undefined ? job.priority ?? '-' : `#${job.partition}`);
        context.print(renderTable([...head(page.state), ...(located ? ['where'] : [])], page.jobs.map((job) => [...row(page.state, job), ...(located ? [locationOf(job)] : [])])));
        if (page.nextCursor !== null) context.print(`more: --cursor ${page.nextCursor}`);
      }),
    );
}

function head(state: ListableJobState): string[] {
  switch (state) {
    case 'waiting': return ['entry', 'message'];
    case 'delayed': return ['message', 'due in'];
    case 'dead-lettered': return ['entry', 'group', 'deliveries', 'error', 'dead letter'];
    default: return ['entry', 'consumer', 'deliveries', 'idle', ...(state === 'retrying' ? ['error', 'retry in'] : [])];
  }
}

function row(state: ListableJobState, job: JobListItem): (string | number)[] {
  const until = (at: number | undefined) => (at === undefined ? '-' : formatDuration(Math.max(0, at - Date.now())));
  switch (state) {
    case 'waiting': return [job.entryId, job.messageId ?? '-'];
    case 'delayed': return [job.messageId ?? job.entryId, until(job.dueAt)];
    case 'dead-lettered': return [job.entryId, job.group ?? '-', job.deliveries, truncate(job.error ?? '-', ERROR_WIDTH), job.deadLetterId ?? '-'];
    default: return [
      job.entryId, job.consumer ?? '-', job.deliveries, formatDuration(job.idleMs ?? NaN),
      ...(state === 'retrying' ? [truncate(job.error ?? '-', ERROR_WIDTH), until(job.dueAt)] : []),
    ];
  }
}
