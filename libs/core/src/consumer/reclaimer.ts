/**
 * Reclaims entries left pending by dead consumers: XAUTOCLAIM walks the group's pending
 * list with a cursor and takes entries idle longer than `claim.minIdleMs`. Ids it reports
 * as deleted from the stream are acked and counted, never looped on.
 */
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import { replyToRecord } from '../admin/stream-stats.js';

export interface ReclaimedEntry {
  entryId: string;
  fields: string[];
  deliveryCount: number;
}

export interface ReclaimResult {
  entries: ReclaimedEntry[];
  deletedIds: string[];
}

export class Reclaimer {
  /** XAUTOCLAIM cursor per stream; '0-0' starts a new pass over the pending list. */
  private readonly cursors = new Map<string, string>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly consumer: string,
    private readonly minIdleMs: number,
  ) {}

  async claim(streamKey: string, count: number): Promise<ReclaimResult> {
    const cursor = this.cursors.get(streamKey) ?? '0-0';
    const reply = await this.connection.send<[string, ([string, string[] | null] | null)[], string[]]>([
      'XAUTOCLAIM', streamKey, this.group, this.consumer, this.minIdleMs, cursor, 'COUNT', count,
    ]);
    const [next, claimed, deletedIds] = reply;
    this.cursors.set(streamKey, next);
    const live = claimed.filter((entry): entry is [string, string[]] => entry !== null && entry[1] !== null);
    if (deletedIds.length > 0) await this.connection.send(['XACK', streamKey, this.group, ...deletedIds]);
    if (live.length === 0) return { entries: [], deletedIds };
    const counts = await this.deliveryCounts(streamKey, live.map(([entryId]) => entryId));
    return {
      entries: live.map(([entryId, fields], i) => ({ entryId, fields, deliveryCount: counts[i] })),
      deletedIds,
    };
  }

  /** True once a pass over the pending list has finished (the cursor came back to 0-0). */
  passComplete(streamKey: string): boolean {
    return (this.cursors.get(streamKey) ?? '0-0') === '0-0';
  }

  /**
   * How soon entries of a consumer that went silent can become claimable, in ms (Infinity
   * when no other consumer owns anything). An entry's idle time is at least its owner's
   * (every delivery to a consumer also marks it seen), so the owner's idle time bounds
   * when its entries pass `minIdleMs`: checking then reclaims a crashed worker's entries
   * at `minIdleMs` after its last sign of life, not up to `claim.intervalMs` later.
   */
  async nextClaimableInMs(streamKey: string): Promise<number> {
    const rows = await this.connection.send<RedisReply[][]>(['XINFO', 'CONSUMERS', streamKey, this.group]);
    let soonest = Infinity;
    for (const row of rows) {
      const info = replyToRecord(row);
      if (info.name === this.consumer || info.pending === 0) continue;
      soonest = Math.min(soonest, Math.max(0, this.minIdleMs - Number(info.idle)));
    }
    return soonest;
  }

  /**
   * XAUTOCLAIM does not say how often an entry was delivered; XPENDING does, one exact
   * range per id (a range over first..last could span thousands of other pending entries).
   */
  private async deliveryCounts(streamKey: string, entryIds: readonly string[]): Promise<number[]> {
    const rows = await Promise.all(
      entryIds.map((id) => this.connection.send<RedisReply[][]>(['XPENDING', streamKey, this.group, id, id, 1])),
    );
    return rows.map((row) => Number(row[0]?.[3] ?? 1));
  }
}
