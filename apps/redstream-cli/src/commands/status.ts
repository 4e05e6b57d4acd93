/** `redstream status <stream> <id>`: where one message is, per consumer group (getJobStatus of the core). */
import type { Command } from 'commander';
import { getJobStatus } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatAge, renderTable, truncate } from '../support/format.js';

const ERROR_WIDTH = 60;

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description("one message's state per group: waiting, delayed, active, retrying, completed, dead-lettered or unknown")
    .argument('<stream>', 'logical stream name')
    .argument('<id>', 'the entry id publish returned, delayed:<message id>, or an idempotency key')
    .action(
      adminAction(async (context, stream: string, id: string) => {
        const status = await getJobStatus(context.connection, context.keys, stream, id);
        if (context.json) return context.printJson(status);
        context.print(`stream ${stream}, ${id}${status.entryId !== null && status.entryId !== id ? ` (entry ${status.entryId})` : ''}`);
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
