/**
 * Every Redis key redstream touches is built here and nowhere else.
 * All keys of one logical stream share the hash tag `{stream}` so that Lua scripts
 * touching several of them stay inside one Redis Cluster slot.
 */
export const DEFAULT_PREFIX = 'rs';
const REPLY_CLIENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A message's priority (`setPriority`): one stream per level; `normal` is the stream itself. */
export type PriorityLevel = 'high' | 'normal' | 'low';
/** Highest first: the order workers read them in. */
export const PRIORITY_LEVELS: readonly PriorityLevel[] = ['high', 'normal', 'low'];
/** Suffixes of the level streams besides `normal` (`rs:{name}:high`, `rs:{name}:low`). */
const LEVEL_SUFFIXES = ['}:high', '}:low'];

/**
 * The stream key of the logical stream a level stream belongs to: `rs:{name}:high` and
 * `rs:{name}:low` give `rs:{name}`; any other key is returned as it is.
 */
export function levelBaseKey(streamKey: string): string {
  if (streamKey.endsWith('}')) return streamKey;
  for (const suffix of LEVEL_SUFFIXES) {
    if (streamKey.endsWith(suffix)) return streamKey.slice(0, streamKey.length - suffix.length + 1);
  }
  return streamKey;
}

/** The level of a stream key: `high` or `low` for a level stream, else `normal`. */
export function levelOfKey(streamKey: string): PriorityLevel {
  const base = levelBaseKey(streamKey);
  return base === streamKey ? 'normal' : (streamKey.slice(base.length + 1) as PriorityLevel);
}

export interface StreamKeys {
  readonly stream: string;
  readonly name: string;
  readonly deadLetter: string;
  readonly delayed: string;
  readonly delayedPayloads: string;
  readonly retentionLock: string;
  idempotency(key: string): string;
  /** Replay mark of a dead letter: set when it was re-published, keyed by the original entry id. */
  replayed(originalEntryId: string): string;
  /**
   * One time bucket of the group's completion marks (consumer dedupe): a set of the
   * idempotency keys it completed, named by the bucket's start (ms since epoch); see
   * consumer/completion-marks.ts.
   */
  completedIn(group: string, bucketStartMs: number): string;
  /** The string mark of one completed key as redstream 0.1 wrote it; read only with `dedupe.legacyMarks` (upgrades). */
  completed(group: string, key: string): string;
  /** Tracking hash of one entry (failures, progress), written only off the success path, with a TTL. */
  job(entryId: string): string;
  /** One schedule's definition and state (next and last tick), in the target stream's slot. */
  schedule(name: string): string;
  /** Capped stream of lifecycle events (`events: true`): active, progress, completed, retrying, dead-lettered. */
  readonly events: string;
  /** Set while the group is paused (`pauseGroup`); also the pub/sub channel its changes are broadcast on. */
  paused(group: string): string;
  /** Token bucket of the group's rate limit (`rateLimit`), a hash that expires when unused. */
  rateLimit(group: string): string;
  /** Set with PX while a handler's RateLimitedError holds the group back. */
  rateLimitHold(group: string): string;
  /** Which level these keys are of: `normal` for the stream itself. */
  readonly priority: PriorityLevel;
  /**
   * The keys of one priority level: its own stream, delayed set and retention lock
   * (`rs:{name}:high`, `rs:{name}:high:delayed`, …); every other key (dead letters, dedupe,
   * pause, rate limit, events) is the logical stream's, shared by all levels.
   */
  level(level: PriorityLevel): StreamKeys;
  /** Hash of the logical stream's metadata: field `partitions` (decimal count) when it is partitioned. */
  readonly meta: string;
  /** Ordered consumption: ZSET consumer -> heartbeat expiry ms, in the logical stream's slot. */
  members(group: string): string;
  /** Ordered consumption: a partition's lease (owner and fencing token, PX TTL), in the partition's slot. */
  owner(group: string): string;
  /** Ordered consumption: a partition's fencing counter (INCR), in the partition's slot. */
  fence(group: string): string;
}

/** Separates a logical stream name from a partition index (`orders.created#3`); reserved in stream names. */
export const PARTITION_SEPARATOR = '#';
const PARTITION_NAME = /^(.+)#(0|[1-9][0-9]{0,5})$/;

/** `{ name, index }` of a partition's stream name (`orders.created#3`); undefined for any other name. The same for every prefix. */
export function parsePartitionName(streamName: string): { name: string; index: number } | undefined {
  const match = PARTITION_NAME.exec(streamName);
  return match === null ? undefined : { name: match[1], index: Number(match[2]) };
}

export class KeyBuilder {
  constructor(readonly prefix: string = DEFAULT_PREFIX) {}

  /** The set of logical stream names, for discovery by the CLI. */
  get registry(): string {
    return `${this.prefix}:streams`;
  }

  /** Hash of schedule name -> target stream, for listing; outside every stream's slot, read alone. */
  get schedules(): string {
    return `${this.prefix}:schedules`;
  }

  stream(name: string): string {
    return `${this.prefix}:{${name}}`;
  }

  /** The stream of one priority level of `name`: `normal` is `stream(name)` itself. */
  levelStream(name: string, level: PriorityLevel): string {
    return level === 'normal' ? this.stream(name) : `${this.stream(name)}:${level}`;
  }

  forStream(name: string): StreamKeys {
    const base = this.stream(name);
    const normal: StreamKeys = {
      stream: base,
      name,
      priority: 'normal',
      // Built on first use: most callers never ask for a level.
      level: (level) => (level === 'normal' ? normal : (levels ??= { high: ofLevel('high'), low: ofLevel('low') })[level]),
      deadLetter: `${base}:dlq`,
      delayed: `${base}:delayed`,
      delayedPayloads: `${base}:delayed:payloads`,
      retentionLock: `${base}:retention-lock`,
      idempotency: (key) => `${base}:idem:${key}`,
      replayed: (originalEntryId) => `${base}:replayed:${originalEntryId}`,
      completedIn: (group, bucketStartMs) => `${base}:completed:${group}:${bucketStartMs}`,
      completed: (group, key) => `${base}:done:${group}:${key}`,
      job: (entryId) => `${base}:job:${entryId}`,
      schedule: (name) => `${base}:schedule:${name}`,
      events: `${base}:events`,
      paused: (group) => `${base}:paused:${group}`,
      rateLimit: (group) => `${base}:rate:${group}`,
      rateLimitHold: (group) => `${base}:rate-hold:${group}`,
      meta: `${base}:meta`,
      members: (group) => `${base}:members:${group}`,
      owner: (group) => `${base}:owner:${group}`,
      fence: (group) => `${base}:fence:${group}`,
    };
    const ofLevel = (level: 'high' | 'low'): StreamKeys => {
      const stream = this.levelStream(name, level);
      return {
        ...normal,
        stream,
        priority: level,
        delayed: `${stream}:delayed`,
        delayedPayloads: `${stream}:delayed:payloads`,
        retentionLock: `${stream}:retention-lock`,
        // Entry ids of two level streams may be equal.
        replayed: (originalEntryId) => `${stream}:replayed:${originalEntryId}`,
        job: (entryId) => `${stream}:job:${entryId}`,
      };
    };
    let levels: Record<'high' | 'low', StreamKeys> | undefined;
    return normal;
  }

  /** The stream name of partition `index` of the logical stream `name`: `name#index`. */
  partitionName(name: string, index: number): string {
    return `${name}${PARTITION_SEPARATOR}${index}`;
  }

  /** Every key of one partition: those of the stream `name#index`, with its own hash tag `{name#index}`. */
  forPartition(name: string, index: number): StreamKeys {
    return this.forStream(this.partitionName(name, index));
  }

  /** Inverse of `partitionName()`: `{ name, index }` for `orders.created#3`, undefined for a stream that is no partition. */
  parsePartition(streamName: string): { name: string; index: number } | undefined {
    return parsePartitionName(streamName);
  }

  /** The reply stream of one request-response client (its own hash tag). */
  replyStream(clientId: string): string {
    return `${this.prefix}:{reply.${clientId}}`;
  }

  /** True for exactly the reply streams `replyStream()` makes: `<prefix>:{reply.<uuid>}`. */
  isReplyStream(key: string): boolean {
    const head = `${this.prefix}:{reply.`;
    return key.startsWith(head) && key.endsWith('}') && REPLY_CLIENT_ID.test(key.slice(head.length, -1));
  }

  /** Inverse of `stream()` and `levelStream()`: the logical name and level of a stream key, or undefined if not ours. */
  parseLevelStream(key: string): { name: string; level: PriorityLevel } | undefined {
    const base = levelBaseKey(key);
    const name = this.parseStream(base);
    if (name === undefined) return undefined;
    return { name, level: levelOfKey(key) };
  }

  /** Inverse of `stream()`: the logical name inside a stream key, or undefined if not ours. */
  parseStream(key: string): string | undefined {
    const head = `${this.prefix}:{`;
    if (!key.startsWith(head) || !key.endsWith('}')) return undefined;
    return key.slice(head.length, -1);
  }
}
