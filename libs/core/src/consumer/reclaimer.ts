/**
 * Reclaims entries left pending by dead consumers: XAUTOCLAIM walks the group's pending
 * list with a cursor and takes entries idle longer than `claim.minIdleMs`. Ids it reports
 * as deleted from the stream are acked and counted, never looped on.
 */
import type { RedisConnection, RedisReply } from '../redis/connection.js';

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
    const counts = await this.deliveryCounts(streamKey, live[0][0], live[live.length - 1][0], live.length);
    return {
      entries: live.map(([entryId, fields]) => ({ entryId, fields, deliveryCount: counts.get(entryId) ?? 1 })),
      deletedIds,
    };
  }

  /** True once a pass over the pending list has finished (the cursor came back to 0-0). */
  passComplete(streamKey: string): boolean {
    return (this.cursors.get(streamKey) ?? '0-0') === '0-0';
  }

  /** XAUTOCLAIM does not say how often an entry was delivered; XPENDING's extended form does. */
  private async deliveryCounts(streamKey: string, first: string, last: string, count: number): Promise<Map<string, number>> {
    const rows = await this.connection.send<RedisReply[][]>(['XPENDING', streamKey, this.group, first, last, count + 100_000, this.consumer]);
    return new Map(rows.map((row) => [row[0] as string, row[3] as number]));
  }
}
