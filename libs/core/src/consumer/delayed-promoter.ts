/**
 * Moves due delayed messages (`rs:{s}:delayed`) into their stream. promote-delayed-3.lua
 * removes and adds each message in one step, so every worker can run a promoter.
 */
import type { StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { BackgroundJob } from './periodic-task.js';

export class DelayedPromoter implements BackgroundJob {
  readonly name = 'delayed-promoter';

  constructor(
    private readonly connection: RedisConnection,
    private readonly streams: readonly StreamKeys[],
    readonly intervalMs: number,
    private readonly batchSize: number,
  ) {}

  async run(): Promise<void> {
    for (const keys of this.streams) {
      let promoted: number;
      do {
        promoted = await LuaSteps.promoteDelayed(this.connection, keys, { now: Date.now(), batchSize: this.batchSize });
      } while (promoted === this.batchSize);
    }
  }
}
