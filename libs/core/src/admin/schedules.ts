/**
 * Schedules stored in Redis: each in a hash in its target stream's slot
 * (`rs:{s}:schedule:<name>`: the definition, `next`, the last tick, `runs`), so the tick's
 * claim and publish are one Lua step; and a registry hash `rs:schedules` (name -> stream),
 * outside every stream's slot, read on its own, for schedulers and the CLI to find them.
 */
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { tickAfter, validateSchedule, type ScheduleDefinition, type ScheduleOptions } from '../schedules/schedule-plan.js';

export interface ScheduleInfo {
  name: string;
  stream: string;
  definition: ScheduleDefinition;
  /** The next tick (ms since epoch); null when finished (limit or endAt reached). */
  next: number | null;
  /** The last tick published, and when and as which entry. */
  lastTick: number | null;
  lastRunAt: number | null;
  lastEntryId: string | null;
  runs: number;
}

/**
 * Creates or replaces a schedule. The same definition again (every replica calling it at boot)
 * changes nothing, so neither the next tick nor what was missed is lost; a changed one starts
 * over from now with `runs` 0.
 */
export async function saveSchedule(connection: RedisConnection, keys: KeyBuilder, name: string, options: ScheduleOptions, now = Date.now()): Promise<ScheduleInfo> {
  const definition = validateSchedule(name, options);
  const encoded = JSON.stringify(definition);
  const key = keys.forStream(definition.stream).schedule(name);
  const previousStream = await connection.send<string | null>(['HGET', keys.schedules, name]);
  if (previousStream !== null && previousStream !== definition.stream) await connection.send(['DEL', keys.forStream(previousStream).schedule(name)]);
  const stored = await connection.send<string | null>(['HGET', key, 'definition']);
  if (stored !== encoded) {
    const next = tickAfter(definition, now);
    await connection.send(['HSET', key, 'definition', encoded, 'next', next === null ? '' : String(next), 'runs', '0', 'createdAt', String(now)]);
  }
  await connection.send(['HSET', keys.schedules, name, definition.stream]);
  return (await readSchedule(connection, keys, name, definition.stream))!;
}

/** Removes a schedule; false when there was none by that name. */
export async function removeSchedule(connection: RedisConnection, keys: KeyBuilder, name: string): Promise<boolean> {
  const stream = await connection.send<string | null>(['HGET', keys.schedules, name]);
  if (stream === null) return false;
  // The hash first: a scheduler that still finds the name in the registry then finds nothing to fire.
  await connection.send(['DEL', keys.forStream(stream).schedule(name)]);
  await connection.send(['HDEL', keys.schedules, name]);
  return true;
}

/** Every schedule, by name. */
export async function listSchedules(connection: RedisConnection, keys: KeyBuilder): Promise<ScheduleInfo[]> {
  const registry = await connection.send<string[]>(['HGETALL', keys.schedules]);
  const entries: [string, string][] = [];
  for (let i = 0; i + 1 < registry.length; i += 2) entries.push([registry[i], registry[i + 1]]);
  const found = await Promise.all(entries.map(([name, stream]) => readSchedule(connection, keys, name, stream)));
  return found.filter((s): s is ScheduleInfo => s !== undefined).sort((a, b) => a.name.localeCompare(b.name));
}

export async function readSchedule(connection: RedisConnection, keys: KeyBuilder, name: string, stream: string): Promise<ScheduleInfo | undefined> {
  const pairs = await connection.send<string[]>(['HGETALL', keys.forStream(stream).schedule(name)]);
  if (pairs.length === 0) return undefined;
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[pairs[i]] = pairs[i + 1];
  const time = (field: string) => (hash[field] === undefined || hash[field] === '' ? null : Number(hash[field]));
  return {
    name,
    stream,
    definition: JSON.parse(hash.definition) as ScheduleDefinition,
    next: time('next'),
    lastTick: time('lastTick'),
    lastRunAt: time('lastRunAt'),
    lastEntryId: hash.lastEntryId ?? null,
    runs: Number(hash.runs ?? 0),
  };
}
