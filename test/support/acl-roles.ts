/**
 * The least-privilege ACL rules of README "Security", one set per role, as the tests apply
 * them (`ACL SETUSER <name> on ><password> <rules>`). Measured with INFO commandstats
 * (commands inside Lua steps count too) over runs that use every feature of each role.
 */
import type { RedisClient } from './private-redis.js';

const CONNECTION = '+client|setname +ping +info';

/** Creates (or resets) user `name` with password `<name>-secret` and exactly `rules`. */
export async function setAclUser(client: RedisClient, name: string, rules: string): Promise<void> {
  await client.sendCommand(['ACL', 'SETUSER', name, 'reset', 'on', `>${name}-secret`, ...rules.split(' ')]);
}

/**
 * The refusals ACL LOG holds, as `<user>: <command or key>`. CONFIG GET is deliberately not
 * granted (it would also show secrets): the start check asks it only for the RDB save points,
 * is refused, and keeps what INFO said, so that one refusal is left out.
 */
export async function aclRefusals(client: RedisClient): Promise<string[]> {
  return ((await client.sendCommand(['ACL', 'LOG'])) as unknown[][])
    .map((entry) => `${entry[entry.indexOf('username') + 1]}: ${entry[entry.indexOf('object') + 1]}`)
    .filter((refusal) => !refusal.endsWith(': config|get'));
}

export const ACL_ROLES = {
  worker:
    `resetkeys ~rs:* resetchannels &rs:* -@all ${CONNECTION} +client|id +client|unblock +get +pttl +subscribe ` +
    '+xreadgroup +xack +xautoclaim +xclaim +xpending +xgroup|create +xgroup|delconsumer +xinfo|groups +xinfo|consumers ' +
    '+xadd +xtrim +xlen +xrange +exists +mget +set +sadd +smismember +pexpireat +time +zrangebyscore +zrem +hget +hset +hdel +pexpire +evalsha +eval',
  producer: `resetkeys ~rs:* resetchannels -@all ${CONNECTION} +xadd +get +set +zadd +hset +hget +sadd +wait +evalsha +eval`,
  requester: `resetkeys ~rs:* resetchannels -@all ${CONNECTION} +xadd +get +set +zadd +hset +hget +sadd +wait +evalsha +eval +xread +del`,
  operator:
    `resetkeys ~rs:* resetchannels -@all ${CONNECTION} ` +
    '+smembers +get +hget +xlen +xinfo|groups +xinfo|consumers +xpending +xrange +xrevrange +zcard +exists +evalsha +eval',
} as const;

export type AclRole = keyof typeof ACL_ROLES;

/**
 * What ordered consumption (`ordered: true`) adds to the worker's rules (README "Security"):
 * membership heartbeats (heartbeat-member-1), the partition leases (take-lease-2,
 * release-lease-1); claim-partition-2 and read-partition-2 need only the worker's stream commands.
 */
export const ORDERED_WORKER_ADDITIONS = '+zremrangebyscore +zadd +zrange +time +incr +del';

/** A producer that publishes to a partitioned stream follows its growth on the meta key's channel (README "Security"). */
export const PARTITIONED_PRODUCER_ADDITIONS = '+subscribe &rs:*';

/** What `rateLimit` adds to the worker's rules (take-tokens-2), and a handler that throws RateLimitedError (the hold's broadcast). */
export const RATE_LIMIT_WORKER_ADDITIONS = '+hmget +time +publish';

/** What a worker that runs the stored schedules (`schedules: true`, fire-schedule-3) adds to the worker's rules. */
export const SCHEDULING_WORKER_ADDITIONS = '+hgetall +get +hincrby';

/** What `client.schedule` / `unschedule` add to the producer's rules. */
export const SCHEDULE_PRODUCER_ADDITIONS = '+hget +hset +hgetall +del +hdel';

/** What `client.watch` / `client.events` add to the producer's rules: the events stream and the status reads. */
export const WATCH_ADDITIONS = '+xread +xrevrange +get +zscore +zrange +hgetall +exists +xinfo|groups +xpending +xrange';

/** What the CLI's status and job lists (`redstream status`, `jobs`) and `redstream schedules` add to the operator's rules. */
export const OPERATOR_STATUS_ADDITIONS = '+get +zscore +zrange +hgetall';

/** What `redstream unschedule` adds to the operator's rules. */
export const OPERATOR_UNSCHEDULE_ADDITIONS = '+hget +del +hdel';
