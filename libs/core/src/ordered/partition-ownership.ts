/**
 * Ordered consumption's ownership of partitions, per consumer: like Kafka's consumer-group
 * assignment, each partition of an `ordered` subscription is owned by one live consumer of
 * the group at a time, and only its owner reads or runs its entries.
 *
 * Every `ttlMs / 3` (ttlMs = claim.minIdleMs) a round, for each logical stream: heartbeat
 * (membership.ts), compute this consumer's share from the live members (assignment.ts),
 * renew the leases it holds, take the free ones of its share, give up those it should no
 * longer own. A partition passes through three states here:
 *
 *   catching-up  lease taken: first every entry left pending in the partition (by any
 *                consumer) is claimed and handed over, oldest first (claim-partition-2.lua,
 *                fenced by the lease token), by the read loop's first lane; only then —
 *   active       the partition is read with `>` (readers' activeKeys);
 *   releasing    no longer this consumer's share: not read, its unstarted entries and
 *                waiting retries are let go (they stay pending for the next owner), and once
 *                its running handlers finished, their acks were written and no read that
 *                included it is still under way, the lease is deleted. Only then can the
 *                next owner take it.
 *
 * A lease that cannot be renewed (held by another, or its local deadline passed) stops
 * everything of the partition here at once; a consumer that dies simply stops renewing, and
 * its leases expire after ttlMs.
 */
import type { KeyBuilder, StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { Subscription } from '../consumer/held-message.js';
import { assignedPartitions } from './assignment.js';
import { Membership } from './membership.js';
import { PartitionLeases } from './partition-leases.js';

/** What ownership needs of the running consumer. */
export interface OwnershipUnits {
  readonly dispatcher: {
    reserve(wanted: number): number;
    unreserve(count: number): void;
    accept(subscription: Subscription, entryId: string, fields: string[] | null, deliveryCount: number): void;
    heldIds(streamKey: string): Set<string>;
    dropStream(streamKey: string): number;
  };
  readonly retries: { entries(): readonly { streamKey: string; entryId: string }[]; remove(streamKey: string, entryId: string): boolean };
  readonly acks: { drain(): Promise<void> };
  /** Interrupts blocking reads, so a read that includes a partition given up ends now. */
  wake(): void;
  report(source: string, error: Error): void;
}

type State = 'catching-up' | 'active' | 'releasing';

interface Partition {
  readonly subscription: Subscription;
  readonly keys: StreamKeys;
  readonly index: number;
  readonly lease: { readonly owner: string; readonly fence: string };
}

interface Owned {
  state: State;
  /** Claim cursor while catching up. */
  cursor: string;
}

/** A read with less than this left of a partition's lease leaves the partition out. */
const MIN_READ_MS = 20;

export class PartitionOwnership {
  private readonly leases: PartitionLeases;
  /** Logical stream → its membership and partitions (in index order). */
  private readonly groups = new Map<string, { membership: Membership; partitions: Partition[] }>();
  private readonly byStream = new Map<string, Partition>();
  private readonly owned = new Map<string, Owned>();
  /** Reads under way per partition stream key (a lease is released only when none includes it). */
  private readonly reading = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** One promise per generation of changes: waiting often (a lane on every slot change) adds nothing. */
  private change: { promise: Promise<void>; resolve: () => void } | undefined;
  private closed = false;
  /** Shutdown began: leases held are renewed while handlers finish, no new one is taken. */
  private stopping = false;
  /** True while a partition is catching up: the read loop's first lane runs pass(). */
  due = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly options: { group: string; consumer: string; ttlMs: number; claimCount: number },
    subscriptions: Iterable<Subscription>,
    private readonly units: OwnershipUnits,
  ) {
    this.leases = new PartitionLeases(connection, options.consumer, options.ttlMs, Math.max(50, Math.ceil(options.ttlMs / 10)));
    for (const subscription of subscriptions) this.add(subscription);
  }

  /** An ordered source (a partition, or an unpartitioned stream as its only partition); also at run time (growth). */
  add(subscription: Subscription): void {
    // An unpartitioned stream is its own only partition.
    const { name, index } = subscription.partition ?? { name: subscription.keys.name, index: 0 };
    if (this.byStream.has(subscription.keys.stream)) return;
    let group = this.groups.get(name);
    if (group === undefined) {
      const membersKey = this.keys.forStream(name).members(this.options.group);
      group = { membership: new Membership(this.connection, membersKey, this.options.consumer, this.options.ttlMs), partitions: [] };
      this.groups.set(name, group);
    }
    const partition: Partition = {
      subscription, keys: subscription.keys, index,
      lease: { owner: subscription.keys.owner(this.options.group), fence: subscription.keys.fence(this.options.group) },
    };
    group.partitions.push(partition);
    group.partitions.sort((a, b) => a.index - b.index);
    this.byStream.set(subscription.keys.stream, partition);
  }

  start(): void {
    const every = Math.max(10, Math.floor(this.options.ttlMs / 3));
    this.timer = setInterval(() => this.runRound(), every);
    this.timer.unref();
    this.runRound();
  }

  /** The first round has run (tests and start-up logs). */
  async settled(): Promise<void> {
    await this.round;
  }

  isOrdered(streamKey: string): boolean {
    return this.byStream.has(streamKey);
  }

  /** Partitions this consumer owns now (any state), by stream key. */
  ownedStreams(): string[] {
    return [...this.owned.keys()];
  }

  /** Of `streamKeys`, those to read now: unordered ones, and ordered ones active with time left on their lease. */
  readable(streamKeys: readonly string[]): readonly string[] {
    let result: string[] | undefined;
    const now = Date.now();
    for (let i = 0; i < streamKeys.length; i++) {
      const key = streamKeys[i];
      const ok = !this.byStream.has(key) || (this.owned.get(key)?.state === 'active' && this.leaseLeft(key, now) >= MIN_READ_MS);
      if (!ok && result === undefined) result = streamKeys.slice(0, i);
      else if (ok && result !== undefined) result.push(key);
    }
    return result ?? streamKeys;
  }

  /** A read of `streamKeys` begins: returns how long it may block (it must end before any of their leases could expire). */
  beginRead(streamKeys: readonly string[]): number {
    let limit = Infinity;
    const now = Date.now();
    for (const key of streamKeys) {
      if (!this.byStream.has(key)) continue;
      this.reading.set(key, (this.reading.get(key) ?? 0) + 1);
      limit = Math.min(limit, this.leaseLeft(key, now));
    }
    return Math.max(1, Math.floor(limit));
  }

  endRead(streamKeys: readonly string[]): void {
    for (const key of streamKeys) {
      const count = this.reading.get(key);
      if (count === undefined) continue;
      if (count <= 1) this.reading.delete(key);
      else this.reading.set(key, count - 1);
    }
  }

  /** Whether an entry of this stream may start now: unordered always; ordered only on a partition owned with a valid lease. */
  mayStart(streamKey: string): boolean {
    if (!this.byStream.has(streamKey)) return true;
    const state = this.owned.get(streamKey)?.state;
    return (state === 'active' || state === 'catching-up') && this.leases.isValid(this.byStream.get(streamKey)!.lease.owner);
  }

  /** Resolves at the next change of what is readable (or close()). */
  nextChange(): Promise<void> {
    if (this.change === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.change = { promise, resolve };
    }
    return this.change.promise;
  }

  /**
   * Catching up (the read loop's first lane, as many entries as there are free slots): claims
   * what is pending in each newly owned partition, oldest first, and hands it over; a
   * partition whose pending list is done becomes active (read with `>`).
   */
  async pass(): Promise<void> {
    for (const [streamKey, owned] of this.owned) {
      if (owned.state !== 'catching-up') continue;
      const partition = this.byStream.get(streamKey)!;
      const lease = this.leases.get(partition.lease.owner);
      if (lease === undefined) continue;
      while (owned.state === 'catching-up') {
        const count = this.units.dispatcher.reserve(this.options.claimCount);
        if (count === 0) return;
        let accepted = 0;
        try {
          const claimed = await LuaSteps.claimPartition(this.connection, { stream: streamKey, owner: partition.lease.owner }, {
            group: this.options.group, consumer: this.options.consumer, leaseValue: lease.value, cursor: owned.cursor, count,
          });
          if (claimed === null) {
            this.lost(streamKey);
            break;
          }
          const running = this.units.dispatcher.heldIds(streamKey);
          for (const entry of claimed.entries) {
            if (running.has(entry.entryId)) continue;
            accepted += 1;
            this.units.dispatcher.accept(partition.subscription, entry.entryId, entry.fields, entry.deliveryCount);
          }
          owned.cursor = claimed.cursor;
          if (claimed.cursor === '0-0') {
            owned.state = 'active';
            this.changed();
          }
        } finally {
          this.units.dispatcher.unreserve(count - accepted);
        }
      }
    }
    this.due = [...this.owned.values()].some((owned) => owned.state === 'catching-up');
  }

  /** Shutdown began: keeps renewing what is owned (running handlers keep their partitions) but takes nothing new. */
  stopTaking(): void {
    this.stopping = true;
    this.due = false;
  }

  /** Shutdown: stops the rounds; `release` (every handler finished, acks written) also gives every lease up and leaves. */
  async close(release: boolean): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.round?.catch(() => undefined);
    if (release) {
      await Promise.all([...this.owned.keys()].map((streamKey) => this.leases.release(this.byStream.get(streamKey)!.lease.owner)));
      await Promise.all([...this.groups.values()].map((group) => group.membership.leave()));
    }
    this.owned.clear();
    this.changed();
  }

  private leaseLeft(streamKey: string, now: number): number {
    const lease = this.leases.get(this.byStream.get(streamKey)!.lease.owner);
    return lease === undefined ? 0 : lease.validUntil - now;
  }

  private runRound(): void {
    if (this.round !== undefined || this.closed) return;
    this.round = this.rebalance()
      .catch((error: Error) => this.units.report('partition ownership', error))
      .finally(() => {
        this.round = undefined;
      });
  }

  private async rebalance(): Promise<void> {
    for (const [name, group] of this.groups) {
      let members: string[];
      try {
        members = await group.membership.heartbeat();
      } catch (error) {
        this.units.report(`membership of "${name}"`, error as Error);
        members = [];
      }
      const share = new Set(assignedPartitions(members, this.options.consumer, group.partitions.length));
      await Promise.all(group.partitions.map((partition, position) => this.settle(partition, share.has(position), members.length > 0)));
    }
  }

  /** One partition in one round: renew, take, give up or finish giving up. */
  private async settle(partition: Partition, wanted: boolean, knowsMembers: boolean): Promise<void> {
    const streamKey = partition.keys.stream;
    const owned = this.owned.get(streamKey);
    if (owned === undefined && (!wanted || this.stopping)) return;
    if (this.closed) return;
    let lease;
    try {
      lease = await this.leases.takeOrRenew(partition.lease);
    } catch (error) {
      // Not renewed: the local deadline runs out by itself, and with it reads and starts.
      this.units.report(`lease of "${partition.keys.name}"`, error as Error);
      return;
    }
    if (this.closed) return;
    if (lease === undefined) {
      if (owned !== undefined) this.lost(streamKey);
      return;
    }
    if (owned === undefined) {
      this.owned.set(streamKey, { state: 'catching-up', cursor: '0-0' });
      this.due = true;
      this.units.wake();
      this.changed();
      return;
    }
    // Without a member list (Redis refused the heartbeat) keep what is owned rather than drop it all.
    if (!wanted && knowsMembers && owned.state !== 'releasing') {
      owned.state = 'releasing';
      this.letGo(streamKey);
      this.units.wake();
      this.changed();
    }
    if (owned.state === 'releasing') await this.finishRelease(partition);
  }

  private async finishRelease(partition: Partition): Promise<void> {
    const streamKey = partition.keys.stream;
    if (this.units.dispatcher.heldIds(streamKey).size > 0 || (this.reading.get(streamKey) ?? 0) > 0) return;
    // Acks first: the next owner claims whatever is still pending, and must not run a finished entry again.
    await this.units.acks.drain();
    if (this.units.dispatcher.heldIds(streamKey).size > 0 || this.owned.get(streamKey)?.state !== 'releasing') return;
    this.owned.delete(streamKey);
    await this.leases.release(partition.lease.owner);
  }

  /** The lease is another consumer's now: nothing more of the partition starts here. */
  private lost(streamKey: string): void {
    this.leases.forget(this.byStream.get(streamKey)!.lease.owner);
    this.owned.delete(streamKey);
    this.letGo(streamKey);
    this.changed();
  }

  /** Unstarted entries and waiting retries of the partition stay pending, for the next owner. */
  private letGo(streamKey: string): void {
    this.units.dispatcher.dropStream(streamKey);
    for (const retry of this.units.retries.entries().filter((r) => r.streamKey === streamKey)) this.units.retries.remove(streamKey, retry.entryId);
  }

  private changed(): void {
    const change = this.change;
    this.change = undefined;
    change?.resolve();
  }
}
