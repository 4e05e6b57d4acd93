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
    .option('--partitions', 'a partitioned stream also shows one row per partition (by default one row: the totals)')
    .action(
      adminAction(async (context, only: string[], options: { partitions?: boolean }) => {
        const names = only.length > 0 ? only : await listStreams(context.connection, context.keys);
        const stats = await Promise.all(names.map((name) => readStreamStats(context.connection, context.keys, name)));
        // On stderr, so that --json output stays parseable: an evicting or non-persistent Redis loses messages silently.
        for (const warning of safetyWarnings(await inspectServer(context.connection))) context.warn(`WARNING: ${warning}`);
        if (context.json) return context.printJson(stats.map((s) => streamJson(s, options.partitions === true)));
        if (stats.length === 0) return context.print(`no streams registered under ${context.keys.registry}`);
        context.print(renderStreamsTable(stats, options.partitions === true));
      }),
    );
}

/** A stream for --json: a partitioned one with `partitionCount`, and its partitions' figures only when asked for. */
export function streamJson(s: StreamStats, withPartitions: boolean): StreamStats & { partitionCount?: number } {
  if (s.partitions === undefined) return s;
  const { partitions, ...total } = s;
  return { ...total, partitionCount: partitions.length, ...(withPartitions && { partitions }) };
}

/** One row per stream and group (a partitioned stream's totals, and with `withPartitions` each partition's rows); also used by `watch`. */
export function renderStreamsTable(stats: readonly StreamStats[], withPartitions = false): string {
  const rows: (string | number)[][] = [];
  const addRows = (s: StreamStats, name: string) => {
    const length = s.exists ? formatCount(s.length) : 'missing';
    const tail = [formatCount(s.deadLetters), formatCount(s.delayed)];
    if (s.groups.length === 0) rows.push([name, length, '-', '-', '-', '-', '-', ...tail]);
    for (const g of s.groups) {
      rows.push([name, length, g.name, g.paused ? 'paused' : 'running', g.consumers, formatCount(g.pending), g.lag === null ? 'unknown' : formatCount(g.lag), ...tail]);
    }
  };
  for (const s of stats) {
    addRows(s, s.partitions === undefined ? s.stream : `${s.stream} (${s.partitions.length} partitions)`);
    if (withPartitions) for (const p of s.partitions ?? []) addRows(p, `  ${p.stream}${p.node === undefined ? '' : ` @${p.node}`}`);
  }
  return renderTable(['stream', 'length', 'group', 'state', 'consumers', 'pending', 'lag', 'dead letters', 'delayed'], rows);
}
