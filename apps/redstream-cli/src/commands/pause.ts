/**
 * `redstream pause <stream> [--group g]` / `redstream resume <stream> [--group g]`: every
 * worker of the group stops (or starts again) taking new entries within a second. Running
 * handlers finish and are acked. Without --group: every group the stream has now.
 */
import type { Command } from 'commander';
import { pauseGroup, resumeGroup } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { STREAM_ARGUMENT, parseStream } from '../support/parse.js';

export function registerPauseCommands(program: Command): void {
  for (const paused of [true, false]) {
    const name = paused ? 'pause' : 'resume';
    program
      .command(name)
      .description(paused
        ? 'stop every worker of the group taking new entries (within 1 s); running handlers finish; survives restarts'
        : 'let the workers of a paused group take new entries again (within 1 s)')
      .argument('<stream>', STREAM_ARGUMENT, parseStream)
      .option('-g, --group <group>', 'consumer group (default: every group of the stream)')
      .action(
        adminAction(async (context, stream: string, options: { group?: string }) => {
          const change = paused ? pauseGroup : resumeGroup;
          const groups = await change(context.connection, context.keys, stream, options.group);
          if (context.json) return context.printJson({ stream, key: context.keys.stream(stream), groups, paused });
          if (groups.length === 0) return context.warn(`stream ${stream} has no consumer group: nothing to ${name}`);
          context.print(`${paused ? 'paused' : 'resumed'} ${groups.map((g) => `group ${g}`).join(', ')} of ${stream}`);
        }),
      );
  }
}
