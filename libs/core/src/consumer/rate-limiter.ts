/**
 * Global rate limits (`rateLimit: { max, perMs }`, per consumer or per handler): before each
 * read the reader asks for a grant of as many tokens as it would read (take-tokens-2.lua, one
 * token bucket per stream and group in Redis, shared by every worker), reads at most the
 * granted count and gives back what the read did not fill. A stream denied tokens is left out
 * of the reads until the retry time Redis returned; a reader with nothing left to read waits
 * that long (interruptibly). Ordered partitions' fenced reads ask the same way. Nothing
 * fails, retries or counts a delivery because of a limit.
 */
import { levelBaseKey, type StreamKeys } from '../keys.js';
import type { RateLimit } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { ErrorReporter } from './error-reporter.js';
import type { ObserverHub } from './observer-hub.js';
import type { StreamReader, XReadReply } from './stream-reader.js';

interface Limited {
  readonly name: string;
  readonly limit: RateLimit;
  readonly bucket: string;
  readonly hold: string;
}

/** What one read may do: read `keys`, at most `count` each; then `settle` with its reply. */
export interface ReadGrant {
  readonly keys: readonly string[];
  readonly count: number;
  /** When a stream left out may be asked again (ms since epoch); Infinity when none was left out. */
  readonly retryAt: number;
  settle(reply: XReadReply): void;
}

type LimitedSubscription = { keys: StreamKeys; options: { rateLimit: RateLimit | false } };

const NOTHING_TO_SETTLE = () => undefined;

export class RateLimiter {
  /** Stream key → until when (ms since epoch) it is left out of reads. */
  private readonly deniedUntil = new Map<string, number>();

  private constructor(
    private readonly connection: RedisConnection,
    private readonly limited: Map<string, Limited>,
    private readonly group: string,
    private readonly observers: ObserverHub,
    private readonly errors: Pick<ErrorReporter, 'report'>,
  ) {}

  /** Gives the readers a limiter when some subscription has a rate limit (its own or the consumer's). */
  static attach(
    readers: readonly StreamReader[],
    connection: RedisConnection,
    subscriptions: readonly LimitedSubscription[],
    group: string,
    observers: ObserverHub,
    errors: Pick<ErrorReporter, 'report'>,
  ): void {
    for (const reader of readers) {
      const limiter = RateLimiter.for(connection, subscriptions, group, observers, errors);
      if (limiter === undefined) return;
      reader.limiter = limiter;
    }
  }

  /**
   * A limiter of these subscriptions' streams, or undefined when none has a rate limit. The
   * blocking readers get one each (attach); ordered partitions' fenced reads share one
   * (ordered/partition-fetcher.ts). All of them take from the same buckets in Redis.
   */
  static for(
    connection: RedisConnection,
    subscriptions: readonly LimitedSubscription[],
    group: string,
    observers: ObserverHub,
    errors: Pick<ErrorReporter, 'report'>,
  ): RateLimiter | undefined {
    const limiter = new RateLimiter(connection, new Map(), group, observers, errors);
    for (const subscription of subscriptions) limiter.track(subscription);
    return limiter.limited.size === 0 ? undefined : limiter;
  }

  /** Limits the reads of a subscription's stream too, if it has a rate limit (a partition added at run time). */
  track({ keys, options }: LimitedSubscription): void {
    const limit = options.rateLimit;
    if (limit) this.limited.set(keys.stream, { name: keys.name, limit, bucket: keys.rateLimit(this.group), hold: keys.rateLimitHold(this.group) });
  }

  async grant(keys: readonly string[], count: number): Promise<ReadGrant> {
    const now = Date.now();
    let retryAt = Infinity;
    let allowed = count;
    const kept: string[] = [];
    const granted = new Map<string, number>();
    await Promise.all(
      keys.map(async (key) => {
        const limited = this.limited.get(key);
        if (limited === undefined) return void kept.push(key);
        const until = this.deniedUntil.get(key) ?? 0;
        if (until > now) {
          retryAt = Math.min(retryAt, until);
          return;
        }
        const { limit } = limited;
        const reply = await LuaSteps.takeTokens(this.connection, limited, { max: limit.max, perMs: limit.perMs, tokens: count });
        if (reply.granted === 0) {
          const wait = Math.max(1, reply.retryMs);
          this.deniedUntil.set(key, now + wait);
          retryAt = Math.min(retryAt, now + wait);
          this.observers.current.rateLimitWaited?.(limited.name, wait / 1000);
          return;
        }
        kept.push(key);
        granted.set(key, reply.granted);
        allowed = Math.min(allowed, reply.granted);
      }),
    );
    // Kept in the order the reader gave them (XREADGROUP's STREAMS order is its own).
    const ordered = keys.filter((key) => kept.includes(key));
    const settle = granted.size === 0 ? NOTHING_TO_SETTLE : (reply: XReadReply) => this.giveBack(granted, reply);
    return { keys: ordered, count: allowed, retryAt, settle };
  }

  /** Tokens granted and not used by the read go back to the bucket (in the background). */
  private giveBack(granted: ReadonlyMap<string, number>, reply: XReadReply): void {
    const received = new Map<string, number>();
    // Entries of a priority level count against its logical stream's bucket.
    for (const [key, entries] of reply ?? []) {
      const base = levelBaseKey(key);
      received.set(base, (received.get(base) ?? 0) + entries.length);
    }
    for (const [key, tokens] of granted) {
      const unused = tokens - (received.get(key) ?? 0);
      if (unused <= 0) continue;
      const limited = this.limited.get(key)!;
      LuaSteps.takeTokens(this.connection, limited, { max: limited.limit.max, perMs: limited.limit.perMs, tokens: -unused }).catch((error: Error) =>
        this.errors.report(`rate limit of ${limited.name} (group ${this.group})`, error),
      );
    }
  }
}
