/** `redstream consumers <stream>`: the group's consumers with pending count and idle time. */
import type { Command } from 'commander';
import { PRIORITY_LEVELS, readConsumers, readPartitionedConsumers, resolveGroup, type PriorityLevel } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable } from '../support/format.js';
import { parsePriority, STREAM_ARGUMENT, parseStream } from '../support/parse.js';
import { parsePartitionIndex, PARTITION_FLAG, resolveTargets } from '../support/partition-targets.js';

export function registerConsumersCommand(program: Command): void {
  program
    .command('consumers')
    .description('consumers of a group with idle time and pending count')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .option('-p, --priority <level>', `the priority level's stream (${PRIORITY_LEVELS.join(', ')}; default normal, the stream itself)`, parsePriority)
    .option(PARTITION_FLAG, 'a partitioned stream: only this partition (default: every partition, summed per consumer)', parsePartitionIndex)
    .action(
      adminAction(async (context, stream: string, options: { group?: string; priority?: PriorityLevel; partition?: number }) => {
        const { partitionCount, targets } = await resolveTargets(context, stream, options.partition);
        const priority = options.priority ?? 'normal';
        const one = targets.length === 1 ? targets[0] : undefined;
        const { name: group } = await resolveGroup(context.connection, context.keys, one?.stream ?? stream, options.group);
        // Every partition: each consumer over all partitions (pending summed, idle the least).
        const consumers = one === undefined
          ? await readPartitionedConsumers(context.connection, context.keys, stream, partitionCount, group)
          : await readConsumers(context.connection, context.keys, one.stream, group, priority);
        const key = context.keys.levelStream(one?.stream ?? stream, priority);
        const where = { ...(options.priority !== undefined && { priority }), ...(one?.partition !== undefined && { partition: one.partition }) };
        if (context.json) return context.printJson({ stream, key, group, ...where, consumers });
        if (consumers.length === 0) return context.print(`group ${group} of stream ${stream} has no consumers`);
        context.print(renderTable(['consumer', 'pending', 'idle'], consumers.map((c) => [c.name, formatCount(c.pending), formatDuration(c.idleMs)])));
      }),
    );
}
