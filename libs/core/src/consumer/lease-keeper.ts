/**
 * Keeps entries whose handler is still running from being reclaimed by other consumers:
 * every third of `claim.minIdleMs` it resets the idle time of entries held longer than
 * that (refresh-leases-1.lua, which only touches entries this consumer still owns).
 */
import type { RedisConnection } from '../redis/connection.js';
import { MIN_LEASE_PERIOD_MS } from '../constants.js';
import { LuaSteps } from '../redis/lua-steps.js';

export interface HeldEntry {
  readonly streamKey: string;
  readonly entryId: string;
  readonly heldSince: number;
  /** Set when a refresh finds the entry claimed by another consumer. */
  lost: boolean;
}

export class LeaseKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly consumer: string,
    private readonly minIdleMs: number,
    /** Entries held by this consumer: running, waiting for a handler or for a retry. */
    private readonly held: () => Iterable<HeldEntry>,
    private readonly onError: (error: Error) => void,
  ) {}

  get periodMs(): number {
    return Math.max(MIN_LEASE_PERIOD_MS, Math.floor(this.minIdleMs / 3));
  }

  start(): void {
    this.timer = setInterval(() => void this.refresh(), this.periodMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async refresh(now = Date.now()): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const byStream = new Map<string, HeldEntry[]>();
      for (const entry of this.held()) {
        if (now - entry.heldSince < this.periodMs) continue;
        let list = byStream.get(entry.streamKey);
        if (!list) byStream.set(entry.streamKey, (list = []));
        list.push(entry);
      }
      for (const [streamKey, entries] of byStream) {
        const lost = await LuaSteps.refreshLeases(this.connection, { stream: streamKey }, {
          group: this.group, consumer: this.consumer, entryIds: entries.map((entry) => entry.entryId),
        });
        if (lost.length > 0) {
          const lostIds = new Set(lost);
          for (const entry of entries) if (lostIds.has(entry.entryId)) entry.lost = true;
        }
      }
    } catch (error) {
      this.onError(error as Error);
    } finally {
      this.running = false;
    }
  }
}
