/**
 * What a schedule is and when it fires: the definition users write (validated here, with
 * the option's name in every message), the tick times it produces (cron-parser for cron
 * expressions, arithmetic for `everyMs`), and the one decision a scheduler makes when a
 * tick is due — pure functions, so that every replica decides the same from the same state.
 */
import { CronExpressionParser } from 'cron-parser';
import { InvalidOptionError } from '../errors/index.js';
import { validateStreamName } from '../validation.js';

export type CatchUp = 'none' | 'last';

export interface ScheduleOptions {
  /** A cron expression (5 fields, or 6 with seconds first), e.g. `*\/5 * * * *`. Exactly one of `cron` and `everyMs`. */
  cron?: string;
  /** A fixed period, ms; ticks fall on multiples of it counted from `startAt` (or the epoch). */
  everyMs?: number;
  /** IANA time zone of `cron` (default UTC). */
  tz?: string;
  /** The stream each tick publishes to. */
  stream: string;
  /** The payload of every tick's message. */
  data: unknown;
  /** Headers of every tick's message. */
  headers?: Record<string, string>;
  /** No tick before this time (ms since epoch or Date). */
  startAt?: number | Date;
  /** No tick after this time. */
  endAt?: number | Date;
  /** At most this many ticks in all. */
  limit?: number;
  /** Ticks missed while no scheduler ran: `'last'` (default) publishes the latest of them once, `'none'` none. */
  catchUp?: CatchUp;
}

/** A validated definition, as stored in the schedule's hash. */
export interface ScheduleDefinition {
  name: string;
  stream: string;
  cron?: string;
  everyMs?: number;
  tz: string;
  data: unknown;
  headers?: Record<string, string>;
  startAt?: number;
  endAt?: number;
  limit?: number;
  catchUp: CatchUp;
}

const NAME = /^[\w.-]{1,200}$/;
const CATCH_UP: readonly CatchUp[] = ['none', 'last'];

export function validateSchedule(name: string, options: ScheduleOptions): ScheduleDefinition {
  if (typeof name !== 'string' || !NAME.test(name)) throw new InvalidOptionError('name', name, 'letters, digits, ".", "_" or "-" (1 to 200)');
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object with cron or everyMs, stream and data');
  if ((options.cron === undefined) === (options.everyMs === undefined)) {
    throw new InvalidOptionError('cron', options.cron, 'exactly one of cron and everyMs');
  }
  if (options.everyMs !== undefined && (!Number.isInteger(options.everyMs) || options.everyMs < 1)) {
    throw new InvalidOptionError('everyMs', options.everyMs, 'an integer number of ms, at least 1');
  }
  const tz = options.tz ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new InvalidOptionError('tz', tz, 'an IANA time zone such as UTC or Europe/Berlin');
  }
  if (options.cron !== undefined) {
    try {
      CronExpressionParser.parse(options.cron, { tz, strict: false }).next();
    } catch (error) {
      throw new InvalidOptionError('cron', options.cron, `a cron expression (${(error as Error).message})`);
    }
  }
  validateStreamName(options.stream);
  if (options.data === undefined) throw new InvalidOptionError('data', options.data, 'the payload of each tick (any JSON value)');
  const startAt = optionalTime('startAt', options.startAt);
  const endAt = optionalTime('endAt', options.endAt);
  if (startAt !== undefined && endAt !== undefined && endAt < startAt) throw new InvalidOptionError('endAt', endAt, `a time at or after startAt (${startAt})`);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) throw new InvalidOptionError('limit', options.limit, 'an integer of at least 1');
  const catchUp = options.catchUp ?? 'last';
  if (!CATCH_UP.includes(catchUp)) throw new InvalidOptionError('catchUp', catchUp, `one of ${CATCH_UP.join(', ')}`);
  return {
    name, stream: options.stream, tz, data: options.data, catchUp,
    ...(options.cron !== undefined && { cron: options.cron }),
    ...(options.everyMs !== undefined && { everyMs: options.everyMs }),
    ...(options.headers !== undefined && { headers: options.headers }),
    ...(startAt !== undefined && { startAt }),
    ...(endAt !== undefined && { endAt }),
    ...(options.limit !== undefined && { limit: options.limit }),
  };
}

/** The first tick strictly after `afterMs` (and not before startAt); null past endAt. */
export function tickAfter(definition: ScheduleDefinition, afterMs: number): number | null {
  const from = definition.startAt === undefined ? afterMs : Math.max(afterMs, definition.startAt - 1);
  let tick: number;
  if (definition.everyMs !== undefined) {
    const anchor = definition.startAt ?? 0;
    tick = anchor + (Math.floor((from - anchor) / definition.everyMs) + 1) * definition.everyMs;
  } else {
    tick = CronExpressionParser.parse(definition.cron!, { currentDate: new Date(from), tz: definition.tz }).next().getTime();
  }
  return definition.endAt !== undefined && tick > definition.endAt ? null : tick;
}

/** The latest tick at or before `atMs`, or null when there is none at or after `notBefore`. */
export function tickAtOrBefore(definition: ScheduleDefinition, atMs: number, notBefore: number): number | null {
  let tick: number;
  if (definition.everyMs !== undefined) {
    const anchor = definition.startAt ?? 0;
    tick = anchor + Math.floor((atMs - anchor) / definition.everyMs) * definition.everyMs;
  } else {
    tick = CronExpressionParser.parse(definition.cron!, { currentDate: new Date(atMs + 1), tz: definition.tz }).prev().getTime();
  }
  return tick < notBefore ? null : tick;
}

/** What to do about a due tick: publish `fireAt` (or nothing), then wait for `next` (null: the schedule is finished). */
export interface TickPlan {
  fireAt: number | null;
  next: number | null;
}

/**
 * `next` is due (at or before `now`). A tick at most `graceMs` late is on time and fires; an
 * older one was missed while no scheduler ran: `catchUp: 'last'` fires the latest missed tick
 * once, `'none'` fires none; either way the schedule goes on with the ticks after it.
 */
export function planTick(definition: ScheduleDefinition, state: { next: number; runs: number }, now: number, graceMs: number): TickPlan {
  let fireAt: number | null = state.next;
  if (now - state.next > graceMs) {
    const lastMissed = tickAtOrBefore(definition, now - graceMs - 1, state.next) ?? state.next;
    fireAt = definition.catchUp === 'last' ? lastMissed : null;
    return { fireAt, next: finished(definition, state.runs + (fireAt === null ? 0 : 1)) ? null : tickAfter(definition, lastMissed) };
  }
  return { fireAt, next: finished(definition, state.runs + 1) ? null : tickAfter(definition, state.next) };
}

function finished(definition: ScheduleDefinition, runs: number): boolean {
  return definition.limit !== undefined && runs >= definition.limit;
}

function optionalTime(name: string, value: number | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new InvalidOptionError(name, value, 'a time as ms since epoch or a Date');
  return ms;
}
