import type { Headers } from '../envelope.js';

/** One stream entry as a handler sees it. */
export interface ReceivedMessage<T = unknown> {
  /** Logical stream name (`orders.created`). */
  readonly stream: string;
  /** Redis stream key (`rs:{orders.created}`). */
  readonly streamKey: string;
  /** Stream entry id (`1700000000000-0`). */
  readonly entryId: string;
  /** Wire `id`: the idempotency key if the producer gave one, else a UUID. */
  readonly messageId: string;
  readonly data: T;
  readonly headers: Headers;
  /** Publish time, ms since epoch. */
  readonly timestamp: number;
  /** 1 on the first delivery; counts deliveries to any consumer of the group. */
  readonly deliveryCount: number;
  readonly idempotencyKey: string | undefined;
  readonly replyTo: string | undefined;
  readonly correlationId: string | undefined;
  /** The raw fields of the entry, as `[field, value, ...]`. */
  readonly fields: readonly string[];
  /**
   * Records the handler's progress (a number 0-100 or a small JSON object) in the entry's
   * tracking hash, where getJobStatus reads it. One write per call; nothing when never called.
   */
  reportProgress(value: number | Record<string, unknown>): Promise<void>;
}

export type MessageHandler = (message: ReceivedMessage) => unknown;

/**
 * A batch handler (`subscribe(stream, handler, { batch })`): called with up to `batch.maxSize`
 * messages of one stream, in the order they were read. Resolving acks them all; throwing retries them all;
 * throwing or returning a `BatchFailure` retries only the messages it names and acks the rest.
 */
export type BatchHandler = (messages: readonly ReceivedMessage[]) => unknown;

/** Wraps a handler (tracing, logging); must call `next()` and return its result. */
export type HandlerMiddleware = (message: ReceivedMessage, next: () => Promise<unknown>) => Promise<unknown>;

export type HandledOutcome = 'success' | 'retried' | 'dead-lettered' | 'skipped-duplicate';

/**
 * Why an entry was dead-lettered (`dlqReason`): a handler that kept failing ends as
 * `max-deliveries` (or `timeout` when its last delivery timed out), one that threw
 * UnrecoverableError as `unrecoverable`. No version wrote the `handler-error` that
 * DESIGN.md once listed; it is not a reason.
 */
export const DEAD_LETTER_REASONS = ['max-deliveries', 'unrecoverable', 'decode-error', 'timeout', 'too-large'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** A handler failure after its outcome was decided (off the success path; job tracking reads it). */
export interface HandlerFailure {
  stream: string;
  entryId: string;
  /** The (priority level) stream the entry is on; absent: the stream itself. Entry ids of two levels may be equal. */
  streamKey?: string;
  deliveries: number;
  error: unknown;
  /** Retried no earlier than this (ms since epoch); absent when dead-lettered or left for another consumer. */
  retryAt?: number;
  deadLettered: boolean;
}

/** Receives what the consumer does, for metrics; every method is optional and must be cheap. */
export interface ConsumerObserver {
  handled?(stream: string, outcome: HandledOutcome, durationMs: number): void;
  failed?(failure: HandlerFailure): void;
  /** A handler starts on an entry / succeeded with it (only lifecycle events listen: absent otherwise). */
  started?(message: ReceivedMessage): void;
  succeeded?(message: ReceivedMessage): void;
  reclaimed?(stream: string, count: number): void;
  /** Ids XAUTOCLAIM reported deleted from the stream, acked. */
  deletedOnClaim?(stream: string, count: number): void;
  trimmed?(stream: string, count: number): void;
  deadLetterDropped?(stream: string, count: number): void;
  /** Entries the opt-in hard cap (`retention.maxLen` / `maxAgeMs`) removed before every group read them. */
  unreadDropped?(stream: string, count: number): void;
  statusChanged?(status: string): void;
  /** An optional step (reclaim, re-reading own pending entries) was refused with NOPERM and skipped. */
  permissionRefused?(step: string): void;
  /** Reads of the stream wait `seconds` for the group's rate limit (or a RateLimitedError's hold). */
  rateLimitWaited?(stream: string, seconds: number): void;
}
