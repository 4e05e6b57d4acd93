/** `redstream schedules` (name, schedule, next and last run) and `redstream unschedule <name>`. */
import type { Command } from 'commander';
import { listSchedules, removeSchedule, type ScheduleInfo } from '@redstream/core';
import { adminAction } from '../support/admin-action.js';
import { formatDuration, renderTable } from '../support/format.js';

export function registerSchedulesCommand(program: Command): void {
  program
    .command('schedules')
    .description('schedules stored in Redis: name, stream, cron or period, next and last run')
    .action(
      adminAction(async (context) => {
        const schedules = (await listSchedules(context.connection, context.keys)).map(describe);
        if (context.json) return context.printJson(schedules);
        if (schedules.length === 0) return context.print('no schedules');
        context.print(renderTable(
          ['name', 'stream', 'schedule', 'tz', 'next', 'last run', 'runs'],
          schedules.map((s) => [s.name, s.stream, s.cron ?? `every ${formatDuration(s.everyMs!)}`, s.tz, s.next ?? 'finished', s.lastRun ?? '-', s.runs]),
        ));
      }),
    );
  program
    .command('unschedule')
    .description('remove a schedule (the ticks it published stay in their stream)')
    .argument('<name>', 'schedule name')
    .action(
      adminAction(async (context, name: string) => {
        if (!(await removeSchedule(context.connection, context.keys, name))) throw new Error(`no schedule named "${name}" (redstream schedules lists them)`);
        if (context.json) return context.printJson({ name, removed: true });
        context.print(`removed schedule ${name}`);
      }),
    );
}

function describe(schedule: ScheduleInfo) {
  const { definition } = schedule;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: schedule.name,
    stream: schedule.stream,
    cron: definition.cron ?? null,
    everyMs: definition.everyMs ?? null,
    tz: definition.tz,
    catchUp: definition.catchUp,
    limit: definition.limit ?? null,
    next: iso(schedule.next),
    lastRun: iso(schedule.lastRunAt),
    lastTick: iso(schedule.lastTick),
    lastEntryId: schedule.lastEntryId,
    runs: schedule.runs,
  };
}
