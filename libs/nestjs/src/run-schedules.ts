import { Scheduler, type Logger, type RedisConnection, type SchedulerOptions, type Serializer } from '@redstream/core';

/** The `schedules` option of the server and the client: true, or the scheduler's timing. */
export type SchedulesOption = boolean | Pick<SchedulerOptions, 'pollMs' | 'graceMs'>;

/** Starts the stored schedules on `connection` when `schedules` asks for it (server and client alike). */
export function runSchedules(
  connection: RedisConnection,
  schedules: SchedulesOption | undefined,
  base: { prefix: string; serializer: Serializer; logger: Logger },
): Scheduler | undefined {
  if (!schedules) return undefined;
  const scheduler = new Scheduler(connection, { ...base, ...(schedules === true ? {} : schedules) });
  scheduler.start();
  return scheduler;
}
