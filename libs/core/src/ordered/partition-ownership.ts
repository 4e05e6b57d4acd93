/**
 * Ordered consumption's ownership of partitions, per consumer: like Kafka's consumer-group
 * assignment, each partition of an `ordered` subscription is owned by one live consumer of
 * the group at a time, and only its owner takes or runs its entries.
 *
 * Every `ttlMs / 3` (ttlMs = claim.minIdleMs) a round, for each logical stream: heartbeat
 * (membership.ts), compute this consumer's share from the live members (assignment.ts),
 * renew the leases it holds, take the free ones of its share, give up those it should no
 * longer own. An owned partition is
 *
 *   catching-up  lease taken: every entry left pending in it (by any consumer) is claimed
 *                and handed over, oldest first, before —
 *   active       its new entries are read (partition-fetcher.ts; both steps fenced by the
 *                lease token inside Redis; the partition streams are left out of the
 *                blocking readers);
 *   releasing    no longer this consumer's share: nothing more is taken, its unstarted
 *                entries and waiting retries are let go (they stay pending for the next
 *                owner), and once its running handlers finished and their acks were written,
 *                the lease is deleted. Only then can the next owner take it.
 *
 * A lease that cannot be renewed stops everything of its partition here at once (nothing
 * starts after its local deadline, partition-leases.ts); one found taken by another (or
 * re-taken with a new token after it lapsed) is given up locally and caught up anew. A
 * consumer that dies stops renewing, and its leases expire after ttlMs.
 */
import { ORDERED_POLL_MS } from '../constants.js';
import type { KeyBuilder, StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import type { Subscription } from '../consumer/held-message.js';
import type { StreamReader } from '../consumer/stream-reader.js';
import { assignedPartitions } from './assignment.js';
import { Membership } from './membership.js';
import { PartitionFetcher, type FetchState, type FetchUnits } from './partition-fetcher.js';
import { PartitionLeases } from './partition-leases.js';

/** What ownership needs of the running consumer. */
export interface OwnershipUnits extends FetchUnits {
  readonly dispatcher: FetchUnits['dispatcher'] & { dropStream(streamKey: string): number; nextSlotChange(): Promise<void> };
  readonly retries: FetchUnits['retries'] & { entries(): readonly { streamKey: string; entryId: string }[] };
  readonly acks: { flushQueued(): Promise<boolean> };
  /** A paused group (pause-control.ts): its partitions are not read. */
  isPaused(streamKey: string): boolean;
  report(source: string, error: Error): void;
}

interface Partition {
  readonly subscription: Subscription;
  readonly keys: StreamKeys;
  readonly index: number;
  readonly stream: string;
  readonly owner: string;
  readonly fence: string;
}

interface Owned extends FetchState {
  /** Entries of an earlier ownership still run here: nothing is taken until they finished. */
  waitForRunning: boolean;
  /** The release under way (acks, then the lease), off the round so renewals never wait for it. */
  releasing?: Promise<void>;
}

export class PartitionOwnership {
  private readonly leases: PartitionLeases;
  private readonly fetcher: PartitionFetcher;
  /** Logical stream → its membership and partitions (in index order). */
  private readonly groups = new Map<string, { membership: Membership; partitions: Partition[] }>();
  private readonly byStream = new Map<string, Partition>();
  private readonly owned = new Map<string, Owned>();
  /**
   * Per partition stream, ids of entries this consumer was handed and let go unstarted. Kept
   * when the lease is lost and taken again: an entry still pending on this consumer was
   * claimed by nobody else meanwhile (only an owner claims a partition's entries), so it
   * never ran, and the next catch-up takes it back without counting a delivery. Each catch-up
   * claim drops the ids no longer pending here (PartitionFetcher), so the set stays within
   * what this consumer has pending.
   */
  private readonly neverStarted = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  /** One promise per generation of changes: many waiters add nothing. */
  private change: { promise: Promise<void>; resolve: () => void } | undefined;
  private closed = false;
  /** Shutdown began: leases held are renewed while handlers finish, nothing new is taken. */
  private stopping = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly options: { group: string; consumer: string; ttlMs: number; claimCount: number; readCount: number; prefetch: number },
    subscriptions: Iterable<Subscription>,
    private readonly units: OwnershipUnits,
  ) {
    this.leases = new PartitionLeases(connection, options.consumer, options.ttlMs, Math.max(50, Math.ceil(options.ttlMs / 5)));
    this.fetcher = new PartitionFetcher(connection, options, units);
    for (const subscription of subscriptions) this.add(subscription);
  }

  /**
   * Starts owning: the dispatcher's ordered lanes ask it before an entry starts, the readers
   * leave ordered partitions to it, and the first reader — whose lane serves retries and
   * reclaims — is moved to be one that reads some unordered stream, if any.
   */
  startWith(lanes: { mayStartIn: (streamKey: string) => boolean; letGoUnstarted: (streamKey: string, entryIds: readonly string[]) => void }, readers: StreamReader[]): void {
    lanes.mayStartIn = (streamKey) => this.mayStart(streamKey);
    lanes.letGoUnstarted = (streamKey, entryIds) => {
      if (!this.byStream.has(streamKey)) return;
      const ids = this.neverStartedIn(streamKey);
      for (const id of entryIds) ids.add(id);
    };
    this.attach(readers, []);
    const first = readers.findIndex((reader) => reader.streamKeys.some((key) => !this.isOrdered(key)));
    if (first > 0) readers.unshift(...readers.splice(first, 1));
    this.start();
  }

  /** An ordered source (a partition, or an unpartitioned stream as its only partition); also at run time (growth). */
  add(subscription: Subscription): void {
    if (this.byStream.has(subscription.keys.stream)) return;
    const { name, index } = subscription.partition ?? { name: subscription.keys.name, index: 0 };
    let group = this.groups.get(name);
    if (group === undefined) {
      const membership = new Membership(this.connection, this.keys.forStream(name).members(this.options.group), this.options.consumer, this.options.ttlMs);
      group = { membership, partitions: [] };
      this.groups.set(name, group);
    }
    const { keys } = subscription;
    const partition = { subscription, keys, index, stream: keys.stream, owner: keys.owner(this.options.group), fence: keys.fence(this.options.group) };
    group.partitions.push(partition);
    group.partitions.sort((a, b) => a.index - b.index);
    this.byStream.set(keys.stream, partition);
    this.units.limiter?.track(subscription);
  }

  private neverStartedIn(streamKey: string): Set<string> {
    let ids = this.neverStarted.get(streamKey);
    if (ids === undefined) {
      ids = new Set();
      this.neverStarted.set(streamKey, ids);
    }
    return ids;
  }

  /** The blocking readers leave ordered partitions out: their entries are taken by fenced reads only. */
  attach(readers: readonly StreamReader[], added: readonly Subscription[]): void {
    for (const subscription of added) if (subscription.options.ordered) this.add(subscription);
    for (const reader of readers) {
      const unpaused = reader.activeKeys;
      reader.activeKeys = (streamKeys) => this.unordered(unpaused(streamKeys));
    }
  }

  start(): void {
    this.timer = setInterval(() => this.runRound(), Math.max(10, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
    this.runRound();
  }

  isOrdered(streamKey: string): boolean {
    return this.byStream.has(streamKey);
  }

  /** Partitions this consumer owns now (any state), by stream key. */
  ownedStreams(): string[] {
    return [...this.owned.keys()];
  }

  /**
   * Whether an entry of this stream may start now: unordered always; ordered only on a
   * partition owned with a valid lease. A refusal lets every unstarted entry of the
   * partition go (dispatcher.dropStream); if the partition is still owned (its lease only
   * lapsed locally, a renewal came late), it catches up again — its own pending entries
   * claimed back in order, once its running handlers finished — before reading on.
   */
  mayStart(streamKey: string): boolean {
    const partition = this.byStream.get(streamKey);
    if (partition === undefined) return true;
    const owned = this.owned.get(streamKey);
    if (owned === undefined || owned.state === 'releasing') return false;
    if (this.leases.isValid(partition.owner)) return true;
    this.catchUpAgain(owned);
    owned.waitForRunning = true;
    return false;
  }

  /** The partition's pending entries are claimed again from the oldest before anything new is read (fetch and mayStart). */
  private catchUpAgain(owned: Owned): void {
    owned.state = 'catching-up';
    owned.cursor = '0-0';
    owned.restarts += 1;
  }

  /** Shutdown began: keeps renewing what is owned (running handlers keep their partitions) but takes nothing new. */
  stopTaking(): void {
    this.stopping = true;
    this.changed();
  }

  /** Shutdown: stops the rounds; `release` (every handler finished, acks written) also gives every lease up and leaves. */
  async close(release: boolean): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.changed();
    await this.round?.catch(() => undefined);
    if (release) {
      await Promise.all([...this.owned.keys()].map((streamKey) => this.leases.release(this.byStream.get(streamKey)!.owner)));
      await Promise.all([...this.groups.values()].map((group) => group.membership.leave()));
    }
    this.owned.clear();
  }

  private unordered(streamKeys: readonly string[]): readonly string[] {
    return streamKeys.some((key) => this.byStream.has(key)) ? streamKeys.filter((key) => !this.byStream.has(key)) : streamKeys;
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
      let members: string[] | undefined;
      try {
        members = await group.membership.heartbeat();
      } catch (error) {
        this.units.report(`membership of "${name}"`, error as Error);
      }
      const share = new Set(members === undefined ? [] : assignedPartitions(members, this.options.consumer, group.partitions.length));
      await Promise.all(group.partitions.map((partition, position) => this.settle(partition, share.has(position), members !== undefined)));
    }
  }

  /** One partition in one round: renew, take, give up or finish giving up. */
  private async settle(partition: Partition, wanted: boolean, knowsMembers: boolean): Promise<void> {
    const streamKey = partition.stream;
    let owned = this.owned.get(streamKey);
    if ((owned === undefined && (!wanted || this.stopping)) || this.closed) return;
    const tokenBefore = this.leases.get(partition.owner)?.token;
    let lease;
    try {
      lease = await this.leases.takeOrRenew(partition);
    } catch (error) {
      // Not renewed: the local deadline runs out by itself, and with it every start.
      this.units.report(`lease of "${partition.keys.name}"`, error as Error);
      return;
    }
    if (this.closed) return;
    if (owned !== undefined && lease?.token !== tokenBefore) {
      // Lost, or lapsed and taken again with a new token: someone may have owned it in between.
      // Refused, takeOrRenew forgot the lease already; taken again, the new lease is kept (forgotten,
      // it could never be renewed: the next round would ask without its token and be refused).
      this.lost(streamKey);
      owned = undefined;
    }
    if (lease === undefined) return;
    if (owned === undefined) {
      if (this.stopping || !wanted) return void (await this.leases.release(partition.owner));
      const taken: Owned = { state: 'catching-up', cursor: '0-0', restarts: 0, neverStarted: this.neverStartedIn(streamKey), waitForRunning: this.units.dispatcher.heldIds(streamKey).size > 0 };
      this.owned.set(streamKey, taken);
      void this.drive(partition, taken);
      return;
    }
    if (owned.waitForRunning && this.units.dispatcher.heldIds(streamKey).size === 0) {
      owned.waitForRunning = false;
      this.changed();
    }
    // Without a member list (Redis refused the heartbeat) keep what is owned rather than drop it all.
    if (!wanted && knowsMembers && owned.state !== 'releasing') {
      owned.state = 'releasing';
      this.letGo(streamKey);
      this.changed();
    }
    if (owned.state === 'releasing' && owned.releasing === undefined && this.units.dispatcher.heldIds(streamKey).size === 0) {
      owned.releasing = this.finishRelease(partition, owned)
        .catch((error: Error) => this.units.report(`release of "${partition.keys.name}"`, error))
        .finally(() => (owned.releasing = undefined));
    }
  }

  /** Takes the partition's entries while it stays owned as `owned`: catch-up first, then new entries. */
  private async drive(partition: Partition, owned: Owned): Promise<void> {
    let pollMs: number = ORDERED_POLL_MS.min;
    const current = () => this.owned.get(partition.stream) === owned && owned.state !== 'releasing' && !this.stopping && !this.closed;
    while (current()) {
      const lease = this.leases.get(partition.owner);
      if (owned.waitForRunning && this.units.dispatcher.heldIds(partition.stream).size === 0) owned.waitForRunning = false;
      if (owned.waitForRunning || lease === undefined || !this.leases.isValid(partition.owner) || this.units.isPaused(partition.stream)) {
        await this.pause(lease === undefined ? this.options.ttlMs / 3 : ORDERED_POLL_MS.max);
        continue;
      }
      // Acks of entries that finished here go out before a catch-up claims the partition's pending
      // entries: after an outage (acks failing meanwhile, leases lapsed) the claim would take them
      // back and run them again. A flush that fails waits for the ack batcher's retry.
      if (owned.state === 'catching-up') {
        if (!(await this.units.acks.flushQueued())) {
          await this.pause(ORDERED_POLL_MS.max);
          continue;
        }
        // The flush may have taken long (Redis slow or away): look at the lease again before claiming.
        if (!current() || !this.leases.isValid(partition.owner)) continue;
      }
      const share = Math.max(1, Math.floor(this.options.prefetch / Math.max(1, this.owned.size)));
      let outcome;
      try {
        if (owned.state === 'active') await this.fetcher.retryDue(partition, share);
        outcome = await this.fetcher.fetch(partition, owned, lease.value, Math.min(this.options.readCount, share));
      } catch (error) {
        this.units.report(`read of "${partition.keys.name}"`, error as Error);
        // The claim or read may have run in Redis with its reply lost (the connection dropped):
        // its entries are pending here, and nobody else reclaims an ordered partition's entries.
        // So catch up from the start before reading new entries, as after a local lapse.
        this.catchUpAgain(owned);
        await this.pause(ORDERED_POLL_MS.max);
        continue;
      }
      if (outcome === 'lost') {
        if (this.owned.get(partition.stream) === owned) {
          this.leases.forget(partition.owner);
          this.lost(partition.stream);
        }
        return;
      }
      if (outcome === 'no-slots') await Promise.race([this.units.dispatcher.nextSlotChange(), this.nextChange()]);
      else if (outcome === 'limited') await this.pause(Math.max(1, (owned.limitedUntil ?? 0) - Date.now()));
      else if (outcome === 'full') pollMs = ORDERED_POLL_MS.min;
      else {
        await this.pause(pollMs);
        pollMs = Math.min(ORDERED_POLL_MS.max, pollMs * 2);
      }
    }
  }

  private async finishRelease(partition: Partition, owned: Owned): Promise<void> {
    const streamKey = partition.stream;
    // Acks first: the next owner claims whatever is still pending, and must not run a finished entry again.
    const acked = await this.units.acks.flushQueued();
    if (!acked || this.units.dispatcher.heldIds(streamKey).size > 0 || this.owned.get(streamKey) !== owned) return;
    this.owned.delete(streamKey);
    // Released with nothing held here: the next owner claims whatever is pending, counted.
    this.neverStarted.delete(streamKey);
    await this.leases.release(partition.owner);
  }

  /** The lease is another consumer's now, or was in between (taken again here): this ownership ends, nothing more of it starts. */
  private lost(streamKey: string): void {
    this.owned.delete(streamKey);
    this.letGo(streamKey);
    this.changed();
  }

  /** Unstarted entries and waiting retries of the partition stay pending, for the next owner. */
  private letGo(streamKey: string): void {
    this.units.dispatcher.dropStream(streamKey);
    for (const retry of this.units.retries.entries().filter((r) => r.streamKey === streamKey)) this.units.retries.remove(streamKey, retry.entryId);
  }

  /** Waits `ms`, or less when ownership changes (or shutdown). */
  private pause(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.nextChange()]);
  }

  private nextChange(): Promise<void> {
    if (this.change === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.change = { promise, resolve };
    }
    return this.change.promise;
  }

  private changed(): void {
    const change = this.change;
    this.change = undefined;
    change?.resolve();
  }
}
