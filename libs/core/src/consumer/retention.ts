/**
 * Trims streams periodically, one consumer at a time (a lock key with the interval as
 * TTL). The default strategy never removes an entry some group still needs (trim-acked-1.lua);
 * `maxLen` and `maxAgeMs` are opt-in hard caps whose drops of unread entries are counted.
 */
import type { StreamKeys } from '../keys.js';
import type { Logger, ResolvedConsumerOptions } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { BackgroundJob } from './periodic-task.js';
import type { ConsumerObserver } from './received-message.js';

type Retention = Exclude<ResolvedConsumerOptions['retention'], false>;

export class RetentionTrimmer implements BackgroundJob {
  readonly name = 'retention';
  readonly intervalMs: number;

  constructor(
    private readonly connection: RedisConnection,
    private readonly streams: readonly StreamKeys[],
    private readonly retention: Retention,
    private readonly owner: string,
    private readonly observer: ConsumerObserver,
    private readonly logger: Logger,
  ) {
    this.intervalMs = retention.intervalMs;
  }

  async run(): Promise<void> {
    for (const keys of this.streams) {
      const locked = await this.connection.send(['SET', keys.retentionLock, this.owner, 'NX', 'PX', Math.max(1, this.intervalMs - 50)]);
      if (locked !== 'OK') continue;
      await this.trim(keys);
    }
  }

  async trim(keys: StreamKeys): Promise<number> {
    const { trimmed } = await LuaSteps.trimAcked(this.connection, { stream: keys.stream }, { exact: this.retention.strategy !== 'acked' });
    let capped = 0;
    if (this.retention.strategy !== 'acked') {
      const [removed, unread] = await this.applyCap(keys);
      capped = removed;
      if (unread > 0) {
        this.observer.unreadDropped?.(keys.name, unread);
        this.logger.warn(`retention cap on "${keys.name}" removed ${unread} entries that a group had not read yet`);
      }
    }
    if (trimmed + capped > 0) this.observer.trimmed?.(keys.name, trimmed + capped);
    return trimmed + capped;
  }

  /**
   * The opt-in hard cap: exact trimming (trim-capped-1.lua) that counts, of what it
   * removes, only the entries some group had not read as lost.
   */
  private async applyCap(keys: StreamKeys): Promise<[number, number]> {
    const retention = this.retention;
    if (retention.strategy === 'acked') return [0, 0];
    const cap =
      retention.strategy === 'maxLen'
        ? { by: 'MAXLEN' as const, maxLen: retention.maxLen }
        : { by: 'MINID' as const, minId: `${Date.now() - retention.maxAgeMs}-0` };
    const { trimmed, unreadTrimmed } = await LuaSteps.trimCapped(this.connection, { stream: keys.stream }, cap);
    return [trimmed, unreadTrimmed];
  }
}
