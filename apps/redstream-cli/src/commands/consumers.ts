/** `redstream consumers <stream>`: the group's consumers with pending count and idle time. */
import type { Command } from 'commander';
import { partitionCountOf, readConsumers, readPartitionedConsumers, resolveGroup } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable } from '../support/format.js';
import { STREAM_ARGUMENT, parseStream } from '../support/parse.js';

export function registerConsumersCommand(program: Command): void {
  program
    .command('consumers')
    .description('consumers of a group with idle time and pending count')
    .argument('<stream>', STREAM_ARGUMENT, parseStream)
    .option('-g, --group <group>', 'consumer group (default: the stream\'s only group)')
    .action(
      adminAction(async (context, stream: string, options: { group?: string }) => {
        const { name: group } = await resolveGroup(context.connection, context.keys, stream, options.group);
        // A partitioned stream: each consumer over all partitions (pending summed, idle the least).
        const partitions = await partitionCountOf(context.connection, context.keys, stream);
        const consumers = partitions > 0
          ? await readPartitionedConsumers(context.connection, context.keys, stream, partitions, group)
          : await readConsumers(context.connection, context.keys, stream, group);
        if (context.json) return context.printJson({ stream, key: context.keys.stream(stream), group, consumers });
        if (consumers.length === 0) return context.print(`group ${group} of stream ${stream} has no consumers`);
        context.print(renderTable(['consumer', 'pending', 'idle'], consumers.map((c) => [c.name, formatCount(c.pending), formatDuration(c.idleMs)])));
      }),
    );
}
