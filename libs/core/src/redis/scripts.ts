/**
 * Lua scripts, one file per atomic step in `libs/core/lua/`, named `<step>-<numKeys>.lua`
 * (`-n` when the caller passes a variable number of keys). Each is loaded once, called by
 * SHA with EVALSHA, and sent in full with EVAL only when Redis answers NOSCRIPT
 * (after a restart or SCRIPT FLUSH), which also caches it again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LuaKeyCountError } from '../errors/index.js';
import type { RedisConnection, RedisReply } from './connection.js';
import { isErrorReply } from './connection.js';

export class LuaScript {
  readonly sha: string;
  /** The number of keys the name promises (`-2`), or undefined for a variable number (`-n`). */
  readonly numKeys: number | undefined;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    const suffix = /-(\d+|n)$/.exec(name);
    if (suffix === null) throw new LuaKeyCountError(name, undefined, 'a name ending in -<numKeys> or -n');
    this.numKeys = suffix[1] === 'n' ? undefined : Number(suffix[1]);
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

  /** Runs the script; a key count that disagrees with the name's suffix is refused before anything is sent. */
  async run<T = RedisReply>(connection: RedisConnection, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    if (this.numKeys !== undefined && keys.length !== this.numKeys) throw new LuaKeyCountError(this.name, keys.length, `${this.numKeys} keys`);
    // One array, built once: a keyed ack or lookup carries ~1,000 arguments, and copying them
    // for the key count, for String() and again for the command name showed in drain profiles.
    const command = new Array<string>(3 + keys.length + args.length);
    command[0] = 'EVALSHA';
    command[1] = this.sha;
    command[2] = String(keys.length);
    for (let i = 0; i < keys.length; i++) command[3 + i] = keys[i];
    for (let i = 0, at = 3 + keys.length; i < args.length; i++) {
      const arg = args[i];
      command[at + i] = typeof arg === 'string' ? arg : String(arg);
    }
    try {
      return await connection.send<T>(command);
    } catch (error) {
      if (!isErrorReply(error, 'NOSCRIPT')) throw error;
      command[0] = 'EVAL';
      command[1] = this.source;
      return connection.send<T>(command);
    }
  }
}

/** The loaded scripts; call them through the typed methods of lua-steps.ts. */
export const Scripts = {
  publishIdempotent: LuaScript.load('publish-idempotent-2'),
  scheduleDelayed: LuaScript.load('schedule-delayed-n'),
  promoteDelayed: LuaScript.load('promote-delayed-3'),
  deadLetter: LuaScript.load('dead-letter-2'),
  ackCompleted: LuaScript.load('ack-completed-2'),
  completedKeys: LuaScript.load('completed-keys-n'),
  refreshLeases: LuaScript.load('refresh-leases-1'),
  handBack: LuaScript.load('hand-back-1'),
  trimAcked: LuaScript.load('trim-acked-1'),
  trimCapped: LuaScript.load('trim-capped-1'),
  claimOwn: LuaScript.load('claim-own-1'),
  removeConsumerIfIdle: LuaScript.load('remove-consumer-if-idle-1'),
  replayDeadLetter: LuaScript.load('replay-dead-letter-3'),
  trackJob: LuaScript.load('track-job-1'),
  fireSchedule: LuaScript.load('fire-schedule-3'),
  appendEvents: LuaScript.load('append-events-1'),
  takeTokens: LuaScript.load('take-tokens-2'),
  heartbeatMember: LuaScript.load('heartbeat-member-1'),
  takeLease: LuaScript.load('take-lease-2'),
  releaseLease: LuaScript.load('release-lease-1'),
  claimPartition: LuaScript.load('claim-partition-2'),
  readPartition: LuaScript.load('read-partition-2'),
  setPartitions: LuaScript.load('set-partitions-1'),
} as const;
