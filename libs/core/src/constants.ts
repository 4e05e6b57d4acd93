/** Every default of redstream, in one place. Option docs: README "Options". */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULTS = {
  prefix: 'rs',
  startFrom: '0' as '0' | '$',
  concurrency: 64,
  blockMs: 2_000,
  /**
   * Upper bound for COUNT of one XREADGROUP; reads also never exceed the free handler slots.
   * Not larger: with 500-entry reads a NestJS worker spent, in some drains, twice the CPU per
   * message in young-generation GCs that promoted most of each read (bench, 2026-11-26).
   */
  readCount: 256,
  maxDeliveries: 5,
  backoff: { delayMs: 200, maxDelayMs: 60_000, jitter: true },
  claim: { minIdleMs: 15_000, intervalMs: 5_000, count: 100 },
  dedupe: { ttlMs: 86_400_000 },
  retention: { strategy: 'acked' as const, intervalMs: 10_000 },
  deadLetter: { maxLen: 100_000 },
  delayed: { intervalMs: 250, batchSize: 500 },
  ack: { batchSize: 512, flushMs: 2 },
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
  request: { timeoutMs: 5_000, replyTtlMs: 3_600_000, replyMaxLen: 10_000 },
} as const;

/** Headers redstream itself reads. */
export const HEADER_IDEMPOTENCY_KEY = 'idempotency-key';
export const HEADER_TRACEPARENT = 'traceparent';
