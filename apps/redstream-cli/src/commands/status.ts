/** `redstream status <stream> <id>`: where one message is, per consumer group (getJobStatus of the core). */
import type { Command } from 'commander';
import { getJobStatus, PRIORITY_LEVELS, type JobLocationRef, type PriorityLevel } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatAge, renderTable, truncate } from '../support/format.js';
import { parsePriority } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG } from '../support/partition-targets.js';

const ERROR_WIDTH = 60;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("one message's state per group: waiting, delayed, active, retrying, completed, dead-lettered or unknown")
    .argument('<stream>', 'logical stream name')
    .argument('<id>', 'the entry id publish returned, delayed:<message id>, or an idempotency key')
    .option('-p, --priority <level>', `only this priority level's stream (${PRIORITY_LEVELS.join(', ')}; default: every level)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: only this partition (default: the stream and every partition)', parsePartitionIndex)
    .action(
      adminAction(async (context, stream: string, id: string, options: { priority?: PriorityLevel; partition?: number }) => {
        const status = await getJobStatus(context.connection, context.keys, stream, id, options);
        if (context.json) return context.printJson(status);
        const where = status.priority === undefined ? '' : `, ${describeLocation(status)}`;
        context.print(`stream ${stream}, ${id}${status.entryId !== null && status.entryId !== id ? ` (entry ${status.entryId})` : ''}${where}`);
        if (status.alsoFoundIn?.length) {
          context.warn(`the same id is also in ${status.alsoFoundIn.map(describeLocation).join(', ')} (ids are per stream); ask with --priority or --partition`);
        }
        if (status.groups.length === 0) return context.print(`stream ${stream} has no consumer groups`);
        const rows = status.groups.map((g) => [
          g.group,
          g.state,
          g.deliveries,
          g.consumer ?? '-',
          g.progress === undefined ? '-' : JSON.stringify(g.progress),
          g.error === undefined ? '-' : truncate(g.error, ERROR_WIDTH),
          g.updatedAt === undefined ? '-' : formatAge(g.updatedAt),
        ]);
        context.print(renderTable(['group', 'state', 'deliveries', 'consumer', 'progress', 'error', 'updated'], rows));
      }),
    );
}

function describeLocation(location: Partial<JobLocationRef>): string {
  return location.partition === undefined ? `priority ${location.priority}` : `partition ${location.partition}`;
}
