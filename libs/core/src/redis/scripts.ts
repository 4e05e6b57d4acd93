/**
 * Lua scripts, one file per atomic step in `libs/core/lua/`, named `<step>-<numKeys>.lua`
 * (`-n` when the caller passes a variable number of keys). Each is loaded once, called by
 * SHA with EVALSHA, and sent in full with EVAL only when Redis answers NOSCRIPT
 * (after a restart or SCRIPT FLUSH), which also caches it again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection, RedisReply } from './connection.js';
import { isErrorReply } from './connection.js';

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Loads `lua/<name>.lua`; the path is the same from `src/redis` and `dist/redis`. A line
   * `-- @include <helper>` is replaced by `lua/includes/<helper>.lua`, so helpers shared
   * by several scripts are written once (Redis runs each script as one self-contained text).
   */
  static load(name: string): LuaScript {
    const read = (path: string) => readFileSync(new URL(`../../lua/${path}.lua`, import.meta.url), 'utf8');
    return new LuaScript(name, read(name).replace(/^-- @include ([\w-]+)\n/gm, (_line, helper: string) => read(`includes/${helper}`)));
  }

  async run<T = RedisReply>(connection: RedisConnection, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    const tail = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await connection.send<T>(['EVALSHA', this.sha, ...tail]);
    } catch (error) {
      if (!isErrorReply(error, 'NOSCRIPT')) throw error;
      return connection.send<T>(['EVAL', this.source, ...tail]);
    }
  }
}

export const Scripts = {
  publishIdempotent: LuaScript.load('publish-idempotent-2'),
  scheduleDelayed: LuaScript.load('schedule-delayed-3'),
  promoteDelayed: LuaScript.load('promote-delayed-3'),
  deadLetter: LuaScript.load('dead-letter-2'),
  ackCompleted: LuaScript.load('ack-completed-n'),
  refreshLeases: LuaScript.load('refresh-leases-1'),
  trimAcked: LuaScript.load('trim-acked-1'),
  trimCapped: LuaScript.load('trim-capped-1'),
  claimOwn: LuaScript.load('claim-own-1'),
  removeConsumerIfIdle: LuaScript.load('remove-consumer-if-idle-1'),
  replayDeadLetter: LuaScript.load('replay-dead-letter-3'),
} as const;
