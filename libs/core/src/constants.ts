/** Every default of redstream, in one place. Option docs: README "Options". */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULTS = {
  prefix: 'rs',
  startFrom: '0' as '0' | '$',
  concurrency: 64,
  /** Default `prefetch`: `perHandler` x `concurrency`, at most `max` (never below `concurrency`). */
  prefetch: { perHandler: 8, max: 1_024 },
  blockMs: 2_000,
  /**
   * Upper bound for COUNT of one XREADGROUP; reads also never exceed `prefetch` minus what is held.
   * Not larger: with 500-entry reads a NestJS worker spent, in some drains, twice the CPU per
   * message in young-generation GCs that promoted most of each read (bench, 2026-11-26).
   */
  readCount: 256,
  maxDeliveries: 5,
  backoff: { delayMs: 200, maxDelayMs: 60_000, jitter: true },
  claim: { minIdleMs: 15_000, intervalMs: 5_000, count: 100 },
  dedupe: { ttlMs: 86_400_000 },
  /** Schedulers: look for new or changed schedules this often; a tick later than `graceMs` counts as missed. */
  scheduler: { pollMs: 1_000, graceMs: 2_000 },
  /** Lifecycle events (`events: true`): approximate cap of `rs:{s}:events`. */
  events: { maxLen: 10_000 },
  /** Job status: TTL of an entry's tracking hash (failures, progress). */
  tracking: { ttlMs: 86_400_000 },
  retention: { strategy: 'acked' as const, intervalMs: 10_000 },
  deadLetter: { maxLen: 100_000 },
  delayed: { intervalMs: 250, batchSize: 500 },
  ack: { batchSize: 512, flushMs: 2 },
  /** Batch handlers (`batch` in a handler's options): most messages per call (at most `prefetch`), longest wait to fill one. */
  batch: { maxSize: 100, maxWaitMs: 50 },
  idleConsumers: { removeAfterMs: 3_600_000, intervalMs: 60_000 },
  shutdownTimeoutMs: 25_000,
  reconnect: { minDelayMs: 50, maxDelayMs: 5_000 },
  connectTimeoutMs: 5_000,
  /**
   * 1 MiB, Kafka's default message.max.bytes: far above what queue messages usually carry
   * (bigger payloads belong in object storage, referenced by the message), and small enough
   * that the entries a worker holds stay bounded: concurrency × 1 MiB (64 MiB by default).
   */
  maxPayloadBytes: 1_048_576,
  tracing: true,
  /** Besides UnrecoverableError, no error is unrecoverable unless the user says so. */
  isUnrecoverable: (_error: unknown): boolean => false,
  /** A producer (RedisStreamsClient) fails sooner, as Nest's clients do: a caller is waiting. */
  clientConnectTimeoutMs: 2_000,
  request: { timeoutMs: 5_000, replyTtlMs: 3_600_000, replyMaxLen: 10_000 },
  /** Read shares of the priority levels (`priority`), also used when the option is unset and levels are found in use. */
  priority: { weights: { high: 6, normal: 3, low: 1 } },
} as const;

/** Longest delay a Node timer accepts (ms); the upper bound of every `*Ms` option. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Reconnects and failed reads back off with the same formula as retries (backoff.ts). */
export const RECONNECT_BACKOFF = {
  delayMs: DEFAULTS.reconnect.minDelayMs,
  maxDelayMs: DEFAULTS.reconnect.maxDelayMs,
  jitter: true,
} as const;

/** A reclaim pass is scheduled this long after a silent consumer's entries become claimable. */
export const RECLAIM_MARGIN_MS = 20;
/** The log gets at most one line per error source this often (every error still reaches `consumer-error`). */
export const ERROR_LOG_INTERVAL_MS = 5_000;
/** A failed ack flush is sent again after this long. */
export const ACK_RETRY_MS = 200;
/** Leases are refreshed every third of `claim.minIdleMs`, but never more often than this. */
export const MIN_LEASE_PERIOD_MS = 50;
/**
 * Idle time given at shutdown to entries read and never started (hand-back-1.lua): above
 * any `claim.minIdleMs` (at most ~24.8 days), so another consumer's next reclaim pass takes them.
 */
export const HAND_BACK_IDLE_MS = 30 * 86_400_000;
/** Shutdown grants these steps at least this long even when `shutdownTimeoutMs` is spent. */
export const SHUTDOWN_MIN_MS = { background: 1_000, ackDrain: 2_000, leaveGroup: 1_000 } as const;
/** How long a graceful close waits for QUIT before it drops the socket. */
export const QUIT_TIMEOUT_MS = 2_000;

/** Headers redstream itself reads. */
export const HEADER_IDEMPOTENCY_KEY = 'idempotency-key';
export const HEADER_TRACEPARENT = 'traceparent';
/** Headers of a scheduled tick's message: the schedule's name and the tick time (ISO 8601). */
export const HEADER_SCHEDULE = 'schedule';
export const HEADER_SCHEDULE_TICK = 'schedule-tick';
/** How often a worker re-reads its groups' pause keys: a missed pause broadcast takes effect within this. */
export const PAUSE_POLL_MS = 1_000;
/** Most partitions of one stream (`partitions`, `redstream partitions`). */
export const MAX_PARTITIONS = 1_024;
/** How often producers and workers re-read the partition counts: a missed growth broadcast takes effect within this. */
export const PARTITIONS_REFRESH_MS = 5_000;
/** A worker without the `priority` option looks this often for priority levels that came into use. */
export const PRIORITY_DISCOVERY_MS = 1_000;

/**
 * Ordered consumption reads each owned partition with a fenced, non-blocking read
 * (read-partition-2.lua): after a short read it polls again after ORDERED_POLL_MS.min,
 * doubling up to ORDERED_POLL_MS.max while the partition stays empty.
 */
export const ORDERED_POLL_MS = { min: 2, max: 50 } as const;
