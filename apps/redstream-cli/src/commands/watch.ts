/**
 * `redstream watch`: a live view of streams, pending, lag, dead letters and consumer idle
 * times, refreshed every `--interval` until Ctrl-C (or `--iterations` refreshes). With
 * `--json` it prints one JSON line per refresh.
 */
import type { Command } from 'commander';
import { readOverview, type StreamOverview } from '@redstream/core';
import { adminAction, type AdminContext } from '../support/admin-action.js';
import { formatCount, formatDuration, renderTable } from '../support/format.js';
import { parseDuration, parsePositiveInteger } from '../support/parse.js';
import { renderStreamsTable, streamJson } from './streams.js';

interface WatchOptions {
  interval: number;
  iterations?: number;
  partitions?: boolean;
}

interface Snapshot {
  at: string;
  streams: StreamOverview[];
}

const CLEAR_SCREEN = '\x1b[H\x1b[2J';

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('live view of streams, pending, lag, dead letters and consumer idle times (Ctrl-C to quit)')
    .argument('[streams...]', 'only these streams (default: every registered stream)')
    .option('-i, --interval <duration>', 'refresh every', parseDuration, 2_000)
    .option('--iterations <n>', 'stop after n refreshes', parsePositiveInteger)
    .option('--partitions', 'a partitioned stream also shows one row per partition (by default one row: the totals)')
    .action(adminAction(watch));
}

async function watch(context: AdminContext, only: string[], options: WatchOptions): Promise<void> {
  const stopper = new Stopper();
  try {
    for (let refresh = 1; !stopper.stopped; refresh += 1) {
      const snapshot = await takeSnapshot(context, only);
      if (context.json) process.stdout.write(`${JSON.stringify({ ...snapshot, streams: snapshot.streams.map((s) => streamJson(s, options.partitions === true)) })}\n`);
      else render(context, snapshot, options);
      if (refresh === options.iterations) break;
      await stopper.sleep(options.interval);
    }
  } finally {
    stopper.dispose();
  }
}

async function takeSnapshot(context: AdminContext, only: string[]): Promise<Snapshot> {
  return { at: new Date().toISOString(), streams: await readOverview(context.connection, context.keys, only) };
}

function render(context: AdminContext, snapshot: Snapshot, options: WatchOptions): void {
  const lines = [`redstream watch · ${context.target} · every ${formatDuration(options.interval)} · ${snapshot.at} · Ctrl-C to quit`];
  if (snapshot.streams.length === 0) lines.push(`no streams registered under ${context.keys.registry}`);
  else {
    lines.push(renderStreamsTable(snapshot.streams, options.partitions === true));
    const rows = snapshot.streams.flatMap((s) =>
      Object.entries(s.consumers).flatMap(([group, consumers]) => consumers.map((c) => [s.stream, group, c.name, formatCount(c.pending), formatDuration(c.idleMs)])),
    );
    if (rows.length > 0) lines.push(renderTable(['stream', 'group', 'consumer', 'pending', 'idle'], rows));
  }
  process.stdout.write(`${process.stdout.isTTY ? CLEAR_SCREEN : ''}${lines.join('\n')}\n`);
}

/** Ends the loop on SIGINT/SIGTERM and cuts the wait between refreshes short. */
class Stopper {
  stopped = false;
  private wake: (() => void) | undefined;
  private readonly onSignal = () => {
    this.stopped = true;
    this.wake?.();
  };

  constructor() {
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  dispose(): void {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
  }
}
