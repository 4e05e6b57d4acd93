/**
 * What a Redis server would do to redstream's keys under memory pressure or on restart:
 * its `maxmemory-policy` (anything but `noeviction` deletes keys — whole streams with their
 * groups and pending entries — when Redis is full) and whether it persists at all. Read from
 * INFO, and from CONFIG GET for the RDB save points (or when INFO is refused); a check that
 * cannot read either says so and never stops anything.
 */
import { UnsafeRedisError } from '../errors/index.js';
import type { Logger } from '../options.js';
import type { RedisConnection } from './connection.js';

export interface ServerSafety {
  /** `maxmemory-policy`; undefined when neither CONFIG GET nor INFO could be read. */
  maxmemoryPolicy: string | undefined;
  /** AOF on; undefined when unknown. */
  aof: boolean | undefined;
  /** RDB save points configured; undefined when unknown (INFO does not show them). */
  rdb: boolean | undefined;
  /** Where the answers came from. */
  source: 'config' | 'info' | 'none';
}

export async function inspectServer(connection: RedisConnection): Promise<ServerSafety> {
  let safety: ServerSafety;
  try {
    // INFO first: the least-privilege users of README "Security" have it, and not CONFIG
    // (CONFIG GET would also show secrets such as masterauth).
    const info = String(await connection.send<string>(['INFO', 'memory', 'persistence']));
    const aofEnabled = infoField(info, 'aof_enabled');
    safety = { maxmemoryPolicy: infoField(info, 'maxmemory_policy'), aof: aofEnabled === undefined ? undefined : aofEnabled === '1', rdb: undefined, source: 'info' };
  } catch {
    safety = { maxmemoryPolicy: undefined, aof: undefined, rdb: undefined, source: 'none' };
  }
  // RDB save points are only in CONFIG; asked for when they matter (AOF off or unknown).
  if (safety.maxmemoryPolicy !== undefined && safety.aof === true) return safety;
  try {
    const reply = (await connection.send<string[]>(['CONFIG', 'GET', 'maxmemory-policy', 'appendonly', 'save'])) ?? [];
    const config = new Map<string, string>();
    for (let i = 0; i + 1 < reply.length; i += 2) config.set(reply[i], reply[i + 1]);
    if (!config.has('maxmemory-policy')) return safety;
    return {
      maxmemoryPolicy: config.get('maxmemory-policy'),
      aof: config.get('appendonly') === 'yes',
      rdb: (config.get('save') ?? '').trim() !== '',
      source: 'config',
    };
  } catch {
    // Refused (NOPERM, or renamed away on managed Redis): what INFO said stands.
    return safety;
  }
}

/** The risks the server's settings carry, one sentence each; empty when it is safe. */
export function safetyWarnings(safety: ServerSafety): string[] {
  const warnings: string[] = [];
  const policy = safety.maxmemoryPolicy;
  if (policy === undefined) {
    warnings.push('could not read the Redis maxmemory-policy (INFO and CONFIG GET refused); make sure it is noeviction (README "Memory")');
  } else if (policy !== 'noeviction') {
    const what = policy.startsWith('volatile-')
      ? 'the keys that have a TTL: consumer and producer dedupe marks (duplicates are then handled again), dead-letter replay marks and request-response reply streams'
      : 'any key: whole streams with their consumer groups and pending entries, dead letters and delayed messages, so published messages are lost without an error';
    warnings.push(
      `Redis maxmemory-policy is "${policy}", not "noeviction": when Redis reaches maxmemory it evicts ${what}. ` +
        'Set maxmemory-policy noeviction (README "Memory"), or requireNoEviction: true to refuse to start on such a server.',
    );
  }
  if (safety.aof === false && safety.rdb === false) {
    warnings.push('Redis persistence is off (appendonly no, no RDB save points): a restart of redis-server loses every stream, group and pending entry; enable appendonly yes for messages that must not be lost');
  } else if (safety.aof === false && safety.rdb === undefined) {
    warnings.push('Redis has AOF off (appendonly no) and its RDB save points could not be read: a restart may lose streams and pending entries; enable appendonly yes for messages that must not be lost');
  }
  return warnings;
}

/**
 * At start (worker, producer): logs each risk once, loudly, and with `requireNoEviction`
 * refuses a server whose policy is known to evict. Never fails because it cannot look.
 */
export async function checkServerSafety(connection: RedisConnection, logger: Logger, requireNoEviction: boolean): Promise<ServerSafety> {
  const safety = await inspectServer(connection);
  if (requireNoEviction && safety.maxmemoryPolicy !== undefined && safety.maxmemoryPolicy !== 'noeviction') {
    throw new UnsafeRedisError(safety.maxmemoryPolicy);
  }
  for (const warning of safetyWarnings(safety)) logger.warn(`WARNING: ${warning}`);
  return safety;
}

function infoField(info: string, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(String(info));
  return match?.[1].trim();
}
