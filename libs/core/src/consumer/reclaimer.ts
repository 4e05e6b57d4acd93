/**
 * Reclaims entries left pending by dead consumers: XAUTOCLAIM walks the group's pending
 * list with a cursor and takes entries idle longer than `claim.minIdleMs`. Ids it reports
 * as deleted from the stream are acked and counted, never looped on.
 *
 * It owns its cursor (one per stream) and its timer: a pass is due every
 * `claim.intervalMs`, or sooner when a silent consumer's entries become claimable; the
 * read loop runs a due pass (`pass()`) and is woken when one falls due.
 */
import { replyToRecord } from '../admin/stream-stats.js';
import { RECLAIM_MARGIN_MS } from '../constants.js';
import type { ClaimOptions, Logger } from '../options.js';
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import type { Dispatcher } from './dispatcher.js';
import type { Subscription, WaitingRetry } from './held-message.js';
import type { ObserverHub } from './observer-hub.js';
import type { OptionalSteps } from './optional-steps.js';
import type { RetryScheduler } from './retry-scheduler.js';
import type { RunControl } from './run-control.js';

export interface ReclaimedEntry {
  entryId: string;
  fields: string[];
  /** As HeldMessage counts it: XPENDING's counter after the claim. */
  deliveryCount: number;
}

export interface ReclaimResult {
  entries: ReclaimedEntry[];
  deletedIds: string[];
}

/** What a reclaim pass hands its entries to. */
export interface ReclaimTargets {
  readonly subscriptions: ReadonlyMap<string, Subscription>;
  readonly dispatcher: Dispatcher;
  readonly retries: RetryScheduler<WaitingRetry>;
  readonly observers: ObserverHub;
  readonly logger: Logger;
}

export class Reclaimer {
  /** XAUTOCLAIM cursor per stream; '0-0' starts a new pass over the pending list. */
  private readonly cursors = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  /** True while a pass is due (from start, from the timer, or unfinished for want of slots). */
  due = false;
  /** When the next pass falls due (ms since epoch); a blocking read never waits past it. */
  nextAt = Infinity;

  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly consumer: string,
    private readonly claimOptions: Required<ClaimOptions>,
    private readonly control?: RunControl,
    /** Where a refused XAUTOCLAIM / XPENDING is reported; without it the refusal is thrown. */
    private readonly optional?: OptionalSteps,
    /** Streams whose group is paused are not reclaimed from. */
    private readonly isPaused: (streamKey: string) => boolean = () => false,
  ) {}

  /** The first pass is due at once. */
  start(): void {
    this.due = true;
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /**
   * One pass of XAUTOCLAIM over every stream (each priority level's in turn, highest first), taking at most the free handler slots. When
   * the slots run out mid-pass the pass stays due and resumes at its cursor as soon as a
   * slot frees up: reclaimed (older) entries go before new reads, and a busy consumer
   * cannot postpone reclaiming by a whole interval.
   */
  async pass(targets: ReclaimTargets): Promise<void> {
    const { dispatcher, retries, observers, logger } = targets;
    for (const subscription of targets.subscriptions.values()) {
      for (const stream of subscription.streamKeys) {
        if (this.isPaused(stream)) continue;
        do {
          const count = dispatcher.reserve(this.claimOptions.count);
          if (count === 0) return;
          let accepted = 0;
          try {
            const { entries, deletedIds } = await this.claim(stream, count);
            if (deletedIds.length > 0) {
              observers.current.deletedOnClaim?.(subscription.keys.name, deletedIds.length);
              logger.warn(`acked ${deletedIds.length} pending entries of "${subscription.keys.name}" that were deleted from the stream`);
            }
            if (entries.length > 0) observers.current.reclaimed?.(subscription.keys.name, entries.length);
            const running = entries.length > 0 ? dispatcher.heldIds(stream) : undefined;
            for (const entry of entries) {
              retries.remove(stream, entry.entryId);
              // Our own handler still runs it (its lease lapsed, e.g. the event loop stalled):
              // taking the entry back is enough, running it twice here is not.
              if (running!.has(entry.entryId)) continue;
              accepted += 1;
              dispatcher.accept(subscription, entry.entryId, entry.fields, entry.deliveryCount, stream);
            }
          } finally {
            dispatcher.unreserve(count - accepted);
          }
        } while (!this.passComplete(stream) && !this.control?.stopping);
      }
    }
    this.due = false;
    this.schedule(await this.nextPassDelay(targets.subscriptions));
  }

  async claim(streamKey: string, count: number): Promise<ReclaimResult> {
    const cursor = this.cursors.get(streamKey) ?? '0-0';
    const autoclaim = () =>
      this.connection.send<[string, ([string, string[] | null] | null)[], string[]] | undefined>([
        'XAUTOCLAIM', streamKey, this.group, this.consumer, this.claimOptions.minIdleMs, cursor, 'COUNT', count,
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
      soonest = Math.min(soonest, Math.max(0, this.claimOptions.minIdleMs - Number(info.idle)));
    }
    return soonest;
  }

  /**
   * Every `claim.intervalMs`, or sooner when a silent consumer's entries become claimable
   * earlier (never more often than a fifth of the interval).
   */
  private async nextPassDelay(subscriptions: ReadonlyMap<string, Subscription>): Promise<number> {
    let soonest = Infinity;
    for (const subscription of subscriptions.values()) {
      for (const stream of subscription.streamKeys) soonest = Math.min(soonest, await this.nextClaimableInMs(stream).catch(() => Infinity));
    }
    const { intervalMs } = this.claimOptions;
    return Math.min(intervalMs, Math.max(Math.ceil(intervalMs / 5), soonest + RECLAIM_MARGIN_MS));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    if (this.control?.stopping) return;
    this.nextAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.nextAt = Infinity;
      this.due = true;
      this.control?.wake();
    }, delayMs);
    this.timer.unref();
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
