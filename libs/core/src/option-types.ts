/**
 * What users write: the options of the consumer (the transport server), the producer
 * (the client) and per handler. Defaults live in constants.ts; options.ts resolves and
 * validates them. The README's "Options" table describes the same fields.
 */
import type { RedisClientOptions, RedisClusterOptions } from 'redis';
import type { Serializer } from './envelope.js';
import type { WaitForReplicas } from './producer/replica-wait.js';

export interface BackoffOptions {
  /** Delay before the first retry, ms; doubles with each further delivery. Default 200. */
  delayMs?: number;
  /** Upper bound of the delay, ms. Default 60,000 (or `delayMs` if larger). */
  maxDelayMs?: number;
  /** Equal jitter: a random delay between half and all of the computed one. Default true. */
  jitter?: boolean;
}

export interface ClaimOptions {
  /** Entries idle this long (ms) on another consumer are reclaimed. Default 15,000. */
  minIdleMs?: number;
  /** A reclaim pass runs at least this often (ms), sooner when a silent consumer's entries become claimable. Default 5,000. */
  intervalMs?: number;
  /** At most this many entries per XAUTOCLAIM (and never more than the free handler slots). Default 100. */
  count?: number;
}

export type RetentionOptions =
  | false
  | {
      /** Trim below the oldest entry any group still needs (pending or unread). The default. */
      strategy?: 'acked';
      /** How often retention runs, ms. Default 10,000. */
      intervalMs?: number;
    }
  | {
      /** Opt-in hard cap: keep at most this many entries, even unread ones (their loss is counted and logged). */
      maxLen: number;
      intervalMs?: number;
    }
  | {
      /** Opt-in hard cap: drop entries older than this (ms), even unread ones (counted and logged). */
      maxAgeMs: number;
      intervalMs?: number;
    };

export interface Logger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

export interface CommonOptions {
  /** `redis://[[user]:password@]host:port[/db]`, or `rediss://` for TLS. Default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Redis Cluster (node-redis cluster options: `rootNodes`, `defaults`); instead of `url`/`client`. */
  cluster?: RedisClusterOptions;
  /**
   * OpenTelemetry propagation when `@opentelemetry/api` is installed (default true):
   * `false` keeps it off even then, e.g. when prom-client pulled the API in.
   */
  tracing?: boolean;
  /** node-redis client options (TLS, credentials, socket), merged over `url`. */
  client?: RedisClientOptions;
  /** Prefix of every key (`rs:{stream}`); no spaces, braces or colons. Default `rs`. */
  prefix?: string;
  /** Turns payloads into the `data` field and back. Default JSON. */
  serializer?: Serializer;
  /** Where redstream logs (a Nest Logger fits). Default the console, prefixed `[redstream]`. */
  logger?: Logger;
  /** Give up connecting after this long, ms. Default 5,000 for a consumer, 2,000 for a producer (a caller is waiting). */
  connectTimeoutMs?: number;
  /**
   * Largest message, in UTF-8 bytes of all its field names and values: a producer rejects a
   * larger one before Redis (PayloadTooLargeError), a consumer dead-letters a larger entry
   * with reason `too-large` without parsing it. Default 1,048,576 (1 MiB).
   */
  maxPayloadBytes?: number;
  /**
   * At start the server's maxmemory-policy and persistence are checked; anything but
   * `noeviction` is a loud warning. `true` refuses to start instead (UnsafeRedisError). Default false.
   */
  requireNoEviction?: boolean;
  /**
   * Partitioned streams: stream name -> partition count, e.g. `{ 'orders.created': 8 }`. The
   * count stored in Redis (`rs:{name}:meta`) is the source of truth: when none is stored this
   * one is stored; when it differs, connecting fails (PartitionCountError). Streams not named
   * here use the stored count too. Default none.
   */
  partitions?: Record<string, number>;
}

export interface ConsumerOptions extends CommonOptions {
  /** The consumer group (required); no spaces, braces or `:` (it is a segment of the dedupe keys). */
  group: string;
  /** This consumer's name, unique per process; on start it first re-reads its own pending entries. Default `<hostname>-<pid>`. */
  consumer?: string;
  /** Where a new group starts: `'0'` the oldest entry the stream holds (default), `'$'` new entries only. */
  startFrom?: '0' | '$';
  /** Most handlers running at once. Default 64. */
  concurrency?: number;
  /**
   * Most entries held at once: running, or read and waiting for a handler slot; reads never
   * ask for more than `prefetch` minus what is held. At least `concurrency`. Default 8 x
   * `concurrency`, at most 1,024 (but never below `concurrency`).
   */
  prefetch?: number;
  /** How long one XREADGROUP blocks, ms. Default 2,000. */
  blockMs?: number;
  /** COUNT of one XREADGROUP (also never above `prefetch` minus what is held). Default half of `prefetch`, at most 256. */
  readCount?: number;
  /** Deliveries before an entry goes to the dead-letter stream. Default 5. */
  maxDeliveries?: number;
  /** Delay between the deliveries of a failed entry. */
  backoff?: BackoffOptions;
  /** Reclaiming the entries of dead consumers (XAUTOCLAIM); `false` turns it and the lease refresh off. */
  claim?: ClaimOptions | false;
  /**
   * Job status: how long what Redis does not keep about an entry (the error of a failed
   * delivery, that it was dead-lettered) stays readable by `getJobStatus`, ms. Written only
   * when a handler fails, never on success. Default one day.
   */
  tracking?: { ttlMs?: number };
  /**
   * Lifecycle events: each entry's transitions (active, progress, completed, retrying,
   * dead-lettered) to the capped stream `rs:{s}:events` (`maxLen`, approximate, default 10,000),
   * for `client.watch` and `client.events`. Off by default; one more pipelined XADD per transition.
   */
  events?: boolean | { maxLen?: number };
  /**
   * Consumer-side dedupe of entries with an idempotency key: `ttlMs` of the completion marks
   * (default one day; the same for every consumer of a group); `false` turns it off.
   * `legacyMarks: true` also honours the string marks redstream 0.1 wrote
   * (`rs:{s}:done:<group>:<key>`): turn it on for one TTL after upgrading from 0.1.
   */
  dedupe?: { ttlMs?: number; legacyMarks?: boolean } | false;
  /** Trimming the stream; `false` never trims. */
  retention?: RetentionOptions;
  /** `maxLen`: approximate cap of the dead-letter stream (0 for none). Default 100,000. */
  deadLetter?: { maxLen?: number };
  /** Promotion of delayed messages: how often (`intervalMs`, default 250) and how many per step (`batchSize`, default 500); `false` turns it off. */
  delayed?: { intervalMs?: number; batchSize?: number } | false;
  /** Removal of consumers that own nothing and were idle `removeAfterMs` (default 1 h), checked every `intervalMs` (default 60 s); `false` keeps them. */
  idleConsumers?: { removeAfterMs?: number; intervalMs?: number } | false;
  /** Batched XACK: at most `batchSize` ids (default 512), flushed `flushMs` after the first (default 2). */
  ack?: { batchSize?: number; flushMs?: number };
  /** How long stop() waits for running handlers, ms; the rest stay pending for others. Default 25,000. */
  shutdownTimeoutMs?: number;
  /** Errors for which retrying cannot help, besides UnrecoverableError: they go to the dead-letter stream at once. */
  isUnrecoverable?: (error: unknown) => boolean;
  /**
   * Global rate limit of every stream of this consumer: at most `max` entries per `perMs` for the
   * group, shared by all its workers (a token bucket in Redis). Reads slow down at the limit;
   * nothing fails, retries or counts a delivery because of it. Default none.
   */
  rateLimit?: RateLimit | false;
  /**
   * How the priority levels (`setPriority('high' | 'normal' | 'low')`, one stream per level) are
   * read: `{ weights }` shares each read by weight (default `{ high: 6, normal: 3, low: 1 }`; a
   * level with nothing waiting passes its share on), so `low` never starves; `'strict'` reads a
   * lower level only when every higher one is empty. Set, the worker reads every level of its
   * streams from the start. Unset (default), the worker reads with the default weights the
   * levels it finds in use (their stream or delayed set exists), looking every second, so no
   * level is left unread; a stream without levels is read as before.
   */
  priority?: PriorityOptions | 'strict' | false;
}

/** Read shares of the priority levels: positive integers, each read split in these proportions. */
export interface PriorityOptions {
  weights?: { high?: number; normal?: number; low?: number };
}

/** `max` entries per `perMs` milliseconds, for one stream and group, across all its workers. */
export interface RateLimit {
  max: number;
  perMs: number;
}

export interface ProducerOptions extends CommonOptions {
  /** Producer dedupe: how long an idempotency key is remembered, ms. Default one day. */
  dedupe?: { ttlMs?: number };
  /** Default wait for a request-response reply, ms. Default 5,000. */
  requestTimeoutMs?: number;
  /**
   * Durable publish: after each write, WAIT until `replicas` replicas have it (at most
   * `timeoutMs`); fewer rejects with ReplicationError (the entry is on the primary). Default off.
   */
  waitForReplicas?: WaitForReplicas | false;
}

/** Per-handler overrides, from `@EventPattern(pattern, extras)`. */
export interface HandlerOptions {
  /** Overrides the consumer's `maxDeliveries` for this handler. */
  maxDeliveries?: number;
  /** Overrides the consumer's `backoff` for this handler. */
  backoff?: BackoffOptions;
  /** Most entries of this handler running at once; at most the consumer's `concurrency`. */
  concurrency?: number;
  /** Past this (ms) the entry takes the failure path; the handler keeps its slot until it settles. No default. */
  timeoutMs?: number;
  /**
   * Lifecycle events for this handler's stream: `true` turns them on although the consumer's
   * `events` is off, `false` off although it is on. Default: the consumer's `events`.
   */
  events?: boolean;
  /** Global rate limit of this handler's stream for the group (see the consumer's `rateLimit`); `false` none. Default: the consumer's. */
  rateLimit?: RateLimit | false;
  /**
   * Ordered consumption: entries with the same partition key (`setPartitionKey`, entry field
   * `pkey`) are handled one after another in publish order within the group; different
   * keys run in parallel up to `concurrency`. Each partition is owned by one consumer of the
   * group at a time (a lease of `claim.minIdleMs`, rebalanced as consumers come and go).
   * Default false.
   */
  ordered?: boolean;
  /**
   * Batch handler: the handler is called with an array of up to `maxSize` messages instead of one.
   * A batch counts as one running handler (`concurrency`), `timeoutMs` applies to the whole batch.
   * Default none (one message per call).
   */
  batch?: BatchOptions;
}

/** How a batch handler's batches are formed. */
export interface BatchOptions {
  /** Most messages per call, 1 to the consumer's `prefetch`. Default 100. */
  maxSize?: number;
  /**
   * Longest time (ms, at least 1) an entry read waits for its batch to fill; a full batch starts
   * at once. Measured from the read of the batch's oldest entry. Default 50.
   */
  maxWaitMs?: number;
}

/**
 * Every key of an options type, checked by the compiler both ways: a key missing here,
 * or one the type does not have, does not compile. Unknown keys are refused at runtime.
 */
export type OptionKeys<T> = { readonly [K in keyof Required<T>]: true };
