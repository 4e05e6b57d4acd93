/** `redstream streams`: every registered stream with length, groups, pending, lag and dead letters. */
import type { Command } from 'commander';
import { inspectServer, listStreams, readStreamStats, safetyWarnings, type StreamStats } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatCount, renderTable } from '../support/format.js';

export function registerStreamsCommand(program: Command): void {
  program
    .command('streams')
    .description('each stream: length, groups (paused or running), pending, lag, dead letters, delayed')
    .argument('[streams...]', 'only these streams (default: every stream in the registry <prefix>:streams)')
    .action(
      adminAction(async (context, only: string[]) => {
        const names = only.length > 0 ? only : await listStreams(context.connection, context.keys);
        const stats = await Promise.all(names.map((name) => readStreamStats(context.connection, context.keys, name)));
        // On stderr, so that --json output stays parseable: an evicting or non-persistent Redis loses messages silently.
        for (const warning of safetyWarnings(await inspectServer(context.connection))) context.warn(`WARNING: ${warning}`);
        if (context.json) return context.printJson(stats);
        if (stats.length === 0) return context.print(`no streams registered under ${context.keys.registry}`);
        context.print(renderStreamsTable(stats));
      }),
    );
}

/** One row per stream and group (totals over the priority levels), then one per level and group; also used by `watch`. */
export function renderStreamsTable(stats: readonly StreamStats[]): string {
  const rows: (string | number)[][] = [];
  for (const s of stats) {
    const length = s.exists ? formatCount(s.length) : 'missing';
    const tail = [formatCount(s.deadLetters), formatCount(s.delayed)];
    if (s.groups.length === 0) rows.push([s.stream, length, '-', '-', '-', '-', '-', ...tail]);
    for (const g of s.groups) {
      rows.push([s.stream, length, g.name, g.paused ? 'paused' : 'running', g.consumers, formatCount(g.pending), g.lag === null ? 'unknown' : formatCount(g.lag), ...tail]);
    }
    // Priority levels: the rows above are their totals; one row per level and group below.
    for (const level of s.levels) {
      const name = `  ${level.priority}`;
      const levelLength = level.exists ? formatCount(level.length) : 'missing';
      if (level.groups.length === 0) rows.push([name, levelLength, '-', '-', '-', '-', '-', '', formatCount(level.delayed)]);
      for (const g of level.groups) {
        rows.push([name, levelLength, g.name, '', g.consumers, formatCount(g.pending), g.lag === null ? 'unknown' : formatCount(g.lag), '', formatCount(level.delayed)]);
      }
    }
  }
  return renderTable(['stream', 'length', 'group', 'state', 'consumers', 'pending', 'lag', 'dead letters', 'delayed'], rows);
}
