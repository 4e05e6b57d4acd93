/**
 * The leases of the partitions this consumer owns in an ordered group: each a key
 * `<consumer> <fencing token>` with a PX TTL in the partition's own slot, taken with a new
 * token from the partition's fence counter, renewed only while it still holds that exact
 * token, and released the same way (take-lease-2.lua, release-lease-1.lua).
 *
 * Besides Redis's expiry each lease has a local deadline, `validUntil`: the time the last
 * successful take or renew was *sent* plus the TTL minus a margin. Redis set the expiry
 * when the command arrived, later than it was sent, so the local deadline always falls
 * before the lease can expire in Redis and another consumer can take it (as long as the
 * two clocks run at the same rate within the margin). Nothing of a partition starts here
 * after its local deadline.
 */
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

export interface LeaseKeys {
  readonly owner: string;
  readonly fence: string;
}

export interface HeldLease {
  readonly token: string;
  /** `<consumer> <token>`, as stored in the owner key. */
  readonly value: string;
  /** Local deadline (ms since epoch): nothing of the partition may start after it. */
  validUntil: number;
}

export class PartitionLeases {
  private readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly connection: RedisConnection,
    private readonly consumer: string,
    readonly ttlMs: number,
    /** Subtracted from every local deadline: what a command may take on its way to Redis and back. */
    readonly marginMs: number,
  ) {}

  /** The lease held on `owner`, if any (expired or not). */
  get(owner: string): HeldLease | undefined {
    return this.held.get(owner);
  }

  /** True while the lease on `owner` is held and within its local deadline. */
  isValid(owner: string, now = Date.now()): boolean {
    const lease = this.held.get(owner);
    return lease !== undefined && now < lease.validUntil;
  }

  /**
   * Takes the lease, or renews it when held. Returns the lease, or undefined when another
   * consumer holds it (then any lease this consumer believed it held there is forgotten).
   */
  async takeOrRenew(keys: LeaseKeys): Promise<HeldLease | undefined> {
    const current = this.held.get(keys.owner);
    const sentAt = Date.now();
    const reply = await LuaSteps.takeLease(this.connection, keys, { consumer: this.consumer, ttlMs: this.ttlMs, token: current?.token });
    if (!reply.held) {
      this.held.delete(keys.owner);
      return undefined;
    }
    const validUntil = sentAt + this.ttlMs - this.marginMs;
    if (current !== undefined && current.token === reply.token) {
      current.validUntil = validUntil;
      return current;
    }
    const lease = { token: reply.token, value: `${this.consumer} ${reply.token}`, validUntil };
    this.held.set(keys.owner, lease);
    return lease;
  }

  /** Stops trusting a lease at once (a failed renew): nothing more of its partition starts here. */
  forget(owner: string): void {
    this.held.delete(owner);
  }

  /** Gives the lease up in Redis (only if still ours) and forgets it. */
  async release(owner: string): Promise<void> {
    const lease = this.held.get(owner);
    this.held.delete(owner);
    if (lease !== undefined) await LuaSteps.releaseLease(this.connection, { owner }, { value: lease.value });
  }
}
