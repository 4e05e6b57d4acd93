/**
 * How an owner takes a partition's entries, one fenced step at a time, each checking the
 * lease token inside Redis: while catching up, everything left pending in the partition
 * (claim-partition-2.lua, oldest first); then new entries (read-partition-2.lua, `>`). A
 * consumer whose lease is gone takes nothing, however late its command reaches Redis, so
 * entries of a partition are only ever delivered to its current owner.
 */
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { Subscription, WaitingRetry } from '../consumer/held-message.js';
import type { ReadGrant } from '../consumer/rate-limiter.js';

export interface FetchUnits {
  readonly dispatcher: {
    readonly freeSlots: number;
    reserve(wanted: number): number;
    unreserve(count: number): void;
    accept(subscription: Subscription, entryId: string, fields: string[] | null, deliveryCount: number): void;
    heldIds(streamKey: string): Set<string>;
  };
  readonly retries: { entries(): readonly WaitingRetry[]; remove(streamKey: string, entryId: string): boolean; schedule(retry: WaitingRetry): void };
  /** The group's rate limits (rate-limiter.ts), when an ordered subscription has one: asked before each read of new entries. */
  readonly limiter?: { grant(keys: readonly string[], count: number): Promise<ReadGrant>; track(subscription: Subscription): void };
}

export interface FetchedPartition {
  readonly subscription: Subscription;
  readonly stream: string;
  readonly owner: string;
}

export interface FetchState {
  state: 'catching-up' | 'active' | 'releasing';
  /** Claim cursor while catching up. */
  cursor: string;
  /**
   * Counts the catch-ups begun anew (the lease lapsed locally, or a claim or read failed with its
   * reply lost; partition-ownership.ts): a claim or read on its way meanwhile must not hand over
   * entries ahead of those the new catch-up takes back.
   */
  restarts: number;
  /**
   * Ids of entries handed to this consumer and let go without starting (a local lapse, a reply
   * kept back by a new catch-up): the catch-up claims them back without counting a delivery.
   */
  readonly neverStarted: Set<string>;
  /** After a `limited` outcome: when the rate limit lets the next read ask again (ms since epoch). */
  limitedUntil?: number;
}

/**
 * `full`: go on at once; `short`: caught up, poll again later; `no-slots`: wait for a slot;
 * `limited`: the rate limit gave no tokens, ask again at `limitedUntil`; `lost`: the lease is gone.
 */
export type FetchOutcome = 'full' | 'short' | 'no-slots' | 'limited' | 'lost';

export class PartitionFetcher {
  constructor(
    private readonly connection: RedisConnection,
    private readonly options: { group: string; consumer: string; claimCount: number },
    private readonly units: FetchUnits,
  ) {}

  /**
   * Takes back the partition's failed entries whose backoff has passed (claim-own-1.lua: only
   * while still pending here), so its retries go on however the blocking readers are busy.
   */
  async retryDue(partition: FetchedPartition, wanted: number): Promise<number> {
    const { dispatcher, retries } = this.units;
    const now = Date.now();
    const due = retries.entries().filter((retry) => retry.streamKey === partition.stream && retry.dueAt <= now);
    const taken = due.slice(0, dispatcher.reserve(Math.min(wanted, due.length)));
    for (const retry of taken) retries.remove(retry.streamKey, retry.entryId);
    let accepted = 0;
    const { group, consumer } = this.options;
    await Promise.all(
      taken.map(async (retry) => {
        try {
          const reply = await LuaSteps.claimOwn(this.connection, { stream: retry.streamKey }, { group, consumer, entryId: retry.entryId, keepCount: retry.keepCount });
          if (reply === null) return;
          accepted += 1;
          dispatcher.accept(retry.subscription, retry.entryId, reply.fields, reply.deliveryCount);
        } catch {
          // Still pending here: tried again after the shortest poll (ordered partitions are not reclaimed by others).
          retries.schedule({ ...retry, dueAt: Date.now() + 50 });
        }
      }),
    );
    dispatcher.unreserve(taken.length - accepted);
    return taken.length;
  }

  async fetch(partition: FetchedPartition, owned: FetchState, leaseValue: string, wanted: number): Promise<FetchOutcome> {
    const { dispatcher } = this.units;
    const catchingUp = owned.state === 'catching-up';
    const count = dispatcher.reserve(catchingUp ? Math.min(wanted, this.options.claimCount) : wanted);
    if (count === 0) return 'no-slots';
    let accepted = 0;
    try {
      const keys = { stream: partition.stream, owner: partition.owner };
      const { group, consumer } = this.options;
      // A catch-up begun anew while a claim or read was on its way (the lease lapsed here, and
      // entries were dropped meanwhile): what came back stays pending here, and the catch-up from
      // the start claims it again with the dropped ones, in order. Accepted now, newer entries
      // would start before older ones dropped.
      const restarts = owned.restarts;
      if (catchingUp) {
        const neverStarted = [...owned.neverStarted];
        const claimed = await LuaSteps.claimPartition(this.connection, keys, { group, consumer, leaseValue, cursor: owned.cursor, count, neverStarted });
        if (claimed === null) return 'lost';
        // Acked, or another owner's since: kept no longer, so the set stays within what is pending here.
        for (const id of claimed.notPendingHere) owned.neverStarted.delete(id);
        const running = dispatcher.heldIds(partition.stream);
        if (owned.restarts !== restarts) {
          for (const entry of claimed.entries) if (!running.has(entry.entryId)) owned.neverStarted.add(entry.entryId);
          return 'full';
        }
        for (const entry of claimed.entries) {
          owned.neverStarted.delete(entry.entryId);
          // Pending on this consumer from before (a retry waiting, or still running here): taken once.
          this.units.retries.remove(partition.stream, entry.entryId);
          if (running.has(entry.entryId)) continue;
          accepted += 1;
          dispatcher.accept(partition.subscription, entry.entryId, entry.fields, entry.deliveryCount);
        }
        // An entry refused at its start (the lease lapsed here while the claim was on its way) began
        // the catch-up anew from the start: its cursor and state are that catch-up's, not this claim's.
        if (owned.restarts !== restarts) return 'full';
        owned.cursor = claimed.cursor;
        if (claimed.cursor === '0-0' && owned.state === 'catching-up') {
          owned.state = 'active';
          // Everything pending here was claimed back: an id left is no longer pending here.
          for (const id of neverStarted) owned.neverStarted.delete(id);
        }
        return 'full';
      }
      // New entries count against the rate limit, as the blocking readers' do; claims while catching up do not (nor do reclaims there).
      const grant = this.units.limiter === undefined ? undefined : await this.units.limiter.grant([partition.stream], count);
      if (grant !== undefined && grant.keys.length === 0) {
        owned.limitedUntil = grant.retryAt;
        return 'limited';
      }
      const allowed = grant === undefined ? count : Math.min(count, grant.count);
      const entries = await LuaSteps.readPartition(this.connection, keys, { group, consumer, leaseValue, count: allowed });
      grant?.settle(entries === null ? null : [[partition.stream, entries]]);
      if (entries === null) return 'lost';
      if (owned.restarts !== restarts) {
        for (const [entryId] of entries) owned.neverStarted.add(entryId);
        return 'full';
      }
      for (const [entryId, fields] of entries) {
        accepted += 1;
        dispatcher.accept(partition.subscription, entryId, fields, 1);
      }
      return entries.length === allowed ? 'full' : 'short';
    } finally {
      dispatcher.unreserve(count - accepted);
    }
  }
}
