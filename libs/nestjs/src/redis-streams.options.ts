import { streamNameForPattern, type ConsumerOptions, type ProducerOptions } from '@redstream/core';
import type { SchedulesOption } from './run-schedules.js';

/**
 * Maps a Nest pattern (as Nest's route string: `'orders.created'`, `'{"cmd":"sum"}'`) to a stream
 * name. Patterns the user does not map get `streamNameForPattern`'s name: the same string when it
 * is a valid stream name, `cmd=sum` for `{ cmd: 'sum' }` (README, "Patterns and stream names").
 */
export type PatternToStream = Record<string, string> | ((pattern: string) => string);

export interface RedisStreamsServerOptions extends ConsumerOptions {
  streams?: PatternToStream;
  /** Run the stored schedules in this worker (`client.schedule`); each tick is published once however many workers run them. */
  schedules?: SchedulesOption;
}

export interface RedisStreamsClientOptions extends ProducerOptions {
  streams?: PatternToStream;
  /**
   * Run the stored schedules in this producer process (from `connect()` to `close()`), for apps
   * whose workers do not: each tick is still published once however many processes run them.
   */
  schedules?: SchedulesOption;
}

export function streamForPattern(pattern: string, mapping: PatternToStream | undefined): string {
  if (mapping === undefined) return streamNameForPattern(pattern);
  if (typeof mapping === 'function') return mapping(pattern);
  return mapping[pattern] ?? streamNameForPattern(pattern);
}

export function splitOptions<T extends { streams?: PatternToStream }>(options: T): [Omit<T, 'streams'>, PatternToStream | undefined] {
  const { streams, ...rest } = options;
  return [rest, streams];
}
