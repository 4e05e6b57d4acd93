/**
 * The write actions (only with allowWrites). Each runs first as a dry run that says how many
 * entries it touches, for the confirmation, then for real; both go through the same core
 * admin functions as the CLI's `dlq replay|purge`, `ack`, `claim` and `trim --safe`.
 */
import {
  ackSelection,
  claimSelection,
  pauseGroup,
  readStreamStats,
  resumeGroup,
  countSelectedDeadLetters,
  previewSafeTrim,
  purgeDeadLetters,
  replayDeadLetters,
  resolveGroup,
  selectPendingEntries,
  trimSafely,
  type DeadLetterSelection,
  type KeyBuilder,
  type RedisConnection,
} from '@redstream/core';
import { BadRequest, priorityParam } from './http.js';

export type ActionName = 'replay' | 'purge' | 'ack' | 'claim' | 'trim' | 'pause' | 'resume';

const ENTRY_ID = /^\d+(-\d+)?$/;
/** Ids one request may name; larger selections go through a filter. */
const MAX_IDS = 10_000;

export async function runAction(connection: RedisConnection, keys: KeyBuilder, stream: string, action: ActionName, body: unknown): Promise<Record<string, unknown>> {
  const input = asObject(body);
  const dryRun = input.dryRun === true;
  switch (action) {
    case 'replay':
    case 'purge': {
      const selection = deadLetterSelection(input, dryRun);
      if (dryRun) return { count: await countSelectedDeadLetters(connection, keys, stream, selection) };
      if (action === 'purge') return { deleted: await purgeDeadLetters(connection, keys, stream, selection) };
      return { ...(await replayDeadLetters(connection, keys, stream, selection)) };
    }
    case 'ack':
    case 'claim': {
      const { name: group } = await resolveGroup(connection, keys, stream, optionalString(input, 'group'));
      const to = action === 'claim' ? requiredString(input, 'to') : '';
      // The level whose stream the entries are pending on; default normal, the stream itself.
      const priority = priorityParam(optionalString(input, 'priority')) ?? 'normal';
      const selection = await selectPendingEntries(connection, keys, stream, group, entryIds(input.ids), 0, priority);
      if (dryRun) return { group, count: selection.selected.length, skipped: selection.skipped };
      if (action === 'ack') return { group, acked: await ackSelection(connection, keys, stream, group, selection, priority), skipped: selection.skipped };
      const { claimed, skipped } = await claimSelection(connection, keys, stream, group, to, selection, 0, priority);
      return { group, to, claimed: claimed.length, skipped };
    }
    case 'pause':
    case 'resume': {
      const { name: group } = await resolveGroup(connection, keys, stream, requiredString(input, 'group'));
      if (dryRun) {
        // What the confirmation states: the group's consumers, and the entries it has not yet read (they wait).
        const stats = (await readStreamStats(connection, keys, stream)).groups.find((g) => g.name === group);
        return { group, count: 1, consumers: stats?.consumers ?? 0, pending: stats?.pending ?? 0, lag: stats?.lag ?? 0, paused: stats?.paused ?? false };
      }
      const groups = action === 'pause' ? await pauseGroup(connection, keys, stream, group) : await resumeGroup(connection, keys, stream, group);
      return { group, [action === 'pause' ? 'paused' : 'resumed']: groups.length };
    }
    case 'trim': {
      if (dryRun) {
        const { minId, removable } = await previewSafeTrim(connection, keys, stream);
        return { count: removable, minId };
      }
      return { ...(await trimSafely(connection, keys, stream, { exact: true })) };
    }
  }
}

/**
 * Ids, or a filter. A filtered run touches at most `expected` dead letters (the count the
 * operator confirmed), so letters that fail meanwhile are not swept up unseen.
 */
function deadLetterSelection(input: Record<string, unknown>, dryRun: boolean): DeadLetterSelection {
  if (input.ids !== undefined) return { ids: entryIds(input.ids) };
  const filter = input.filter === undefined ? {} : asObject(input.filter, 'filter');
  const selection = { filter: { reason: optionalString(filter, 'reason'), group: optionalString(filter, 'group') } };
  if (dryRun) return selection;
  const expected = input.expected;
  if (typeof expected !== 'number' || !Number.isInteger(expected) || expected < 0) throw new BadRequest('"expected" must be the count the dry run returned');
  return { ...selection, limit: expected };
}

function entryIds(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new BadRequest('"ids" must be a non-empty array of entry ids');
  if (value.length > MAX_IDS) throw new BadRequest(`"ids" may name at most ${MAX_IDS} entries; use a filter for more`);
  for (const id of value) if (typeof id !== 'string' || !ENTRY_ID.test(id)) throw new BadRequest(`"ids" holds ${JSON.stringify(id)}, which is not an entry id like 1700000000000-0`);
  return value as string[];
}

function asObject(value: unknown, what = 'the request body'): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function optionalString(input: Record<string, unknown>, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new BadRequest(`"${name}" must be a string`);
  return value;
}

function requiredString(input: Record<string, unknown>, name: string): string {
  const value = optionalString(input, name);
  if (value === undefined) throw new BadRequest(`"${name}" is required`);
  if (value.length > 256) throw new BadRequest(`"${name}" is longer than 256 characters`);
  return value;
}
