/**
 * The live consumers of an ordered group on one logical stream: each consumer beats into
 * a sorted set (member → expiry on Redis's clock) and reads back who else is alive. A
 * consumer that stops beating (crashed, paused, cut off) drops out after `ttlMs`; one that
 * shuts down leaves at once, so the others take its partitions without waiting.
 */
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

export class Membership {
  constructor(
    private readonly connection: RedisConnection,
    private readonly membersKey: string,
    private readonly consumer: string,
    private readonly ttlMs: number,
  ) {}

  /** Renews this consumer and returns the live members, this one included, sorted. */
  async heartbeat(): Promise<string[]> {
    const members = await LuaSteps.heartbeatMember(this.connection, { members: this.membersKey }, { consumer: this.consumer, ttlMs: this.ttlMs });
    return members.map(String).sort();
  }

  async leave(): Promise<void> {
    await LuaSteps.heartbeatMember(this.connection, { members: this.membersKey }, { consumer: this.consumer, ttlMs: 0 });
  }
}
