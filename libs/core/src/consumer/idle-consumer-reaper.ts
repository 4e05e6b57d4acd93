/**
 * Removes consumers that have owned nothing and done nothing for `removeAfterMs` (pods
 * that scaled away), so XINFO CONSUMERS and the CLI show live consumers only. The
 * removal re-checks in Lua that the consumer owns no pending entry.
 */
import type { StreamKeys } from '../keys.js';
import type { RedisConnection, RedisReply } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { BackgroundJob } from './periodic-task.js';
import { replyToRecord } from '../admin/stream-stats.js';

export class IdleConsumerReaper implements BackgroundJob {
  readonly name = 'idle-consumer-reaper';
  readonly intervalMs: number;

  constructor(
    private readonly connection: RedisConnection,
    private readonly streams: readonly StreamKeys[],
    private readonly group: string,
    private readonly self: string,
    private readonly options: { removeAfterMs: number; intervalMs: number },
  ) {
    this.intervalMs = options.intervalMs;
  }

  async run(): Promise<void> {
    for (const keys of this.streams) {
      let consumers: RedisReply[][];
      try {
        consumers = await this.connection.send<RedisReply[][]>(['XINFO', 'CONSUMERS', keys.stream, this.group]);
      } catch (error) {
        if (isErrorReply(error, 'NOGROUP')) continue;
        throw error;
      }
      for (const row of consumers) {
        const info = replyToRecord(row);
        if (info.name === this.self || info.pending !== 0 || (info.idle as number) < this.options.removeAfterMs) continue;
        await LuaSteps.removeConsumerIfIdle(this.connection, { stream: keys.stream }, {
          group: this.group, consumer: String(info.name), minIdleMs: this.options.removeAfterMs,
        });
      }
    }
  }
}
