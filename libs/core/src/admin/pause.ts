/**
 * Pausing a consumer group: a key per stream and group (`rs:{s}:paused:<group>`, no TTL, so
 * it survives worker restarts and, with persistence, Redis restarts) and a broadcast on a
 * channel of the same name. Workers re-read the key every second and on reconnect, so a
 * broadcast that no worker heard delays the change by at most that second.
 */
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { readGroups, resolveGroup } from './stream-stats.js';
import { UnknownStreamError } from '../errors/index.js';

/** The message a pause or resume broadcasts; workers re-read the key rather than trust it. */
export const PAUSE_MESSAGE = { paused: '1', resumed: '0' } as const;

/**
 * Pauses the named group of `stream`, or every group it has when none is named. Returns the
 * groups paused. Workers stop taking new entries within a second; handlers already running finish.
 */
export async function pauseGroup(connection: RedisConnection, keys: KeyBuilder, stream: string, group?: string): Promise<string[]> {
  return setPaused(connection, keys, stream, group, true);
}

/** Resumes the named group of `stream`, or every group it has when none is named. Returns the groups resumed. */
export async function resumeGroup(connection: RedisConnection, keys: KeyBuilder, stream: string, group?: string): Promise<string[]> {
  return setPaused(connection, keys, stream, group, false);
}

/** Whether one group of one stream is paused. */
export async function isGroupPaused(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string): Promise<boolean> {
  return (await connection.send<string | null>(['GET', keys.forStream(stream).paused(group)])) !== null;
}

async function setPaused(connection: RedisConnection, keys: KeyBuilder, stream: string, group: string | undefined, paused: boolean): Promise<string[]> {
  const groups = group !== undefined ? [(await resolveGroup(connection, keys, stream, group)).name] : await allGroups(connection, keys, stream);
  const k = keys.forStream(stream);
  for (const name of groups) {
    await connection.send(paused ? ['SET', k.paused(name), '1'] : ['DEL', k.paused(name)]);
    await connection.send(['PUBLISH', k.paused(name), paused ? PAUSE_MESSAGE.paused : PAUSE_MESSAGE.resumed]);
  }
  return groups;
}

async function allGroups(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<string[]> {
  const key = keys.stream(stream);
  const groups = await readGroups(connection, key);
  if (groups === null) throw new UnknownStreamError(stream, key);
  return groups.map((g) => g.name);
}
