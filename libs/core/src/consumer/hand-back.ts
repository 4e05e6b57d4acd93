/**
 * Shutdown's hand-back: held entries whose handler never started stay pending on this consumer
 * with an idle time past any `claim.minIdleMs` (hand-back-1.lua, only entries it still owns, no
 * delivery counted), so another consumer's next reclaim pass takes them at once.
 */
import { HAND_BACK_IDLE_MS } from '../constants.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { HeldMessage } from './held-message.js';

export async function handBackUnstarted(
  connection: RedisConnection,
  owner: { group: string; consumer: string },
  entries: Iterable<HeldMessage>,
  onError: (error: Error) => void,
): Promise<void> {
  const byStream = new Map<string, string[]>();
  for (const entry of entries) {
    let ids = byStream.get(entry.streamKey);
    if (!ids) byStream.set(entry.streamKey, (ids = []));
    ids.push(entry.entryId);
  }
  const { group, consumer } = owner;
  await Promise.all(
    [...byStream].map(([stream, entryIds]) =>
      LuaSteps.handBack(connection, { stream }, { group, consumer, idleMs: HAND_BACK_IDLE_MS, entryIds }).catch(onError),
    ),
  );
}
