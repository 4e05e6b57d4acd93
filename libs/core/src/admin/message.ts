/**
 * What is known today about one stream entry: its fields, where each group stands with it
 * (pending on a consumer, past the group's position, or not yet delivered) and its dead
 * letters. Lifecycle states (`client.getStatus`) will add to this once they exist.
 */
import { compareEntryIds } from '../entry-ids.js';
import { fieldsToObject } from '../envelope.js';
import { PRIORITY_LEVELS, type KeyBuilder, type PriorityLevel } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import type { DeadLetter } from './dead-letters.js';
import { scanDeadLetters } from './dead-letter-selection.js';
import { readPendingEntriesById, type PendingEntry } from './pending.js';
import { readGroups } from './stream-stats.js';

export interface MessageGroupPosition {
  group: string;
  /**
   * `pending`: delivered, not acknowledged; `past`: at or before the group's last-delivered id
   * and not pending (acknowledged, dead-lettered or claimed away and acked); `not-delivered`:
   * after the group's last-delivered id.
   */
  position: 'pending' | 'past' | 'not-delivered';
  pending?: PendingEntry;
}

export interface MessageInfo {
  stream: string;
  entryId: string;
  /** The priority level's stream the entry is on (`normal`: the stream itself, also when it is on none). */
  priority: PriorityLevel;
  /** That stream's key. */
  key: string;
  /**
   * Other levels whose stream holds an entry with the same id, when no level was named: each
   * level's stream has its own ids, so entries of two levels added in the same millisecond can
   * share one. Those are other messages; name the level to read one. Empty when a level was named.
   */
  alsoOn: PriorityLevel[];
  /** The entry's fields; null when it is not (or no longer) in the stream. */
  fields: Record<string, string> | null;
  groups: MessageGroupPosition[];
  /** Dead letters whose original entry is this one (one per group that gave up on it). */
  deadLetters: DeadLetter[];
}

/** Dead letters scanned at most when looking for a message's own; the default dead-letter cap. */
const DEAD_LETTER_SCAN_LIMIT = 100_000;

/** Levels searched for an entry when none is named: the stream itself first. */
const SEARCH_ORDER: readonly PriorityLevel[] = ['normal', ...PRIORITY_LEVELS.filter((level) => level !== 'normal')];

/**
 * `priority`: the level stream to look in; without it the entry is looked for on every level
 * (the stream itself first), the first that has it answers, and `alsoOn` names the others that
 * hold the same id.
 */
export async function readMessage(connection: RedisConnection, keys: KeyBuilder, stream: string, entryId: string, priority?: PriorityLevel): Promise<MessageInfo> {
  const levels = priority === undefined ? SEARCH_ORDER : [priority];
  // The first level's groups are read beside the lookup: a plain stream keeps its round trips.
  const [firstGroups, found] = await Promise.all([
    readGroups(connection, keys.levelStream(stream, levels[0])),
    Promise.all(levels.map((level) => connection.send<[string, string[]][]>(['XRANGE', keys.levelStream(stream, level), entryId, entryId]))),
  ]);
  const at = Math.max(0, found.findIndex((rows) => rows.length > 0));
  const level = levels[at];
  const alsoOn = levels.filter((other, i) => i !== at && found[i].length > 0);
  const rows = found[at];
  const key = keys.levelStream(stream, level);
  const groups = at === 0 ? firstGroups : await readGroups(connection, key);
  const positions = await Promise.all(
    (groups ?? []).map(async (g): Promise<MessageGroupPosition> => {
      const pending = (await readPendingEntriesById(connection, keys, stream, g.name, [entryId], level)).get(entryId);
      if (pending) return { group: g.name, position: 'pending', pending };
      return { group: g.name, position: compareEntryIds(entryId, g.lastDeliveredId) <= 0 ? 'past' : 'not-delivered' };
    }),
  );
  const deadLetters: DeadLetter[] = [];
  // A dead letter is written by the same Redis after the entry was added, so its id is not older.
  for await (const page of scanDeadLetters(connection, keys, stream, {}, { limit: DEAD_LETTER_SCAN_LIMIT, from: entryId })) {
    deadLetters.push(...page.filter((d) => d.originalId === entryId && d.priority === level));
  }
  return { stream, entryId, priority: level, key, alsoOn, fields: rows.length === 0 ? null : fieldsToObject(rows[0][1]), groups: positions, deadLetters };
}
