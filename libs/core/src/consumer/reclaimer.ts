/**
 * Reclaims entries left pending by dead consumers: XAUTOCLAIM walks the group's pending
 * list with a cursor and takes entries idle longer than `claim.minIdleMs`. Ids it reports
 * as deleted from the stream are acked and counted, never looped on.
 */
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import { replyToRecord } from '../admin/stream-stats.js';
import type { OptionalSteps } from './optional-steps.js';

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
    /** Where a refused XAUTOCLAIM / XPENDING is reported; without it the refusal is thrown. */
    private readonly optional?: OptionalSteps,
  ) {}

  async claim(streamKey: string, count: number): Promise<ReclaimResult> {
    const cursor = this.cursors.get(streamKey) ?? '0-0';
    const autoclaim = () =>
      this.connection.send<[string, ([string, string[] | null] | null)[], string[]] | undefined>([
        'XAUTOCLAIM', streamKey, this.group, this.consumer, this.minIdleMs, cursor, 'COUNT', count,
      ]);
    const reply = this.optional ? await this.optional.run('reclaiming entries of dead consumers', undefined, autoclaim) : await autoclaim();
    if (reply === undefined) {
      // Refused: this pass ends here and the next one starts over.
      this.cursors.delete(streamKey);
      return { entries: [], deletedIds: [] };
    }
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
    const read = () => Promise.all(entryIds.map((id) => this.connection.send<RedisReply[][]>(['XPENDING', streamKey, this.group, id, id, 1])));
    // Refused, the entries are still ours and handled; their delivery count is then unknown (1).
    const rows = this.optional ? await this.optional.run('reading delivery counts of reclaimed entries (XPENDING)', [], read) : await read();
    return entryIds.map((_, i) => Number(rows[i]?.[0]?.[3] ?? 1));
  }
}
