/**
 * What becomes of one entry once its handler is done with it (or it never ran): acked (with
 * its completion mark under dedupe), skipped as a duplicate, held back by a RateLimitedError,
 * retried after the backoff or dead-lettered. The dispatcher (one handler per entry) and the
 * batch runner (one handler per batch) both end every entry here, so an entry ends the same
 * way whichever handler ran it.
 */
import { backoffDelay } from '../backoff.js';
import { RateLimitedError } from '../errors/index.js';
import type { ResolvedConsumerOptions } from '../options.js';
import type { AckBatcher } from './ack-batcher.js';
import type { DeadLetterOutcome } from './dead-letter-outcome.js';
import type { ErrorReporter } from './error-reporter.js';
import { deadLetterReasonFor } from './failure-policy.js';
import type { HeldMessage, Subscription, WaitingRetry } from './held-message.js';
import type { ObserverHub } from './observer-hub.js';
import type { DeadLetterReason } from './received-message.js';
import type { RetryScheduler } from './retry-scheduler.js';
import type { RunControl } from './run-control.js';

export interface OutcomeUnits {
  readonly acks: AckBatcher;
  readonly deadLetters: DeadLetterOutcome;
  readonly retries: RetryScheduler<WaitingRetry>;
  readonly observers: ObserverHub;
  readonly errors: ErrorReporter;
  readonly control: RunControl;
  /** Paused groups and RateLimitedError's holds (pause-control.ts). */
  readonly pause?: { isPaused(streamKey: string): boolean; holdBack(streamKey: string, ms: number): Promise<void> };
}

/** What became of a failed entry: only a dead letter ends it (and releases an ordered key). */
export type FailureOutcome = 'dead-lettered' | 'retrying' | 'held-back' | 'left-pending';

export class EntryOutcomes {
  private readonly acks: AckBatcher;
  private readonly deadLetters: DeadLetterOutcome;
  private readonly retries: RetryScheduler<WaitingRetry>;
  private readonly observers: ObserverHub;
  private readonly errors: ErrorReporter;
  private readonly control: RunControl;

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly units: OutcomeUnits,
  ) {
    this.acks = units.acks;
    this.deadLetters = units.deadLetters;
    this.retries = units.retries;
    this.observers = units.observers;
    this.errors = units.errors;
    this.control = units.control;
  }

  /** The acks queued so far go out now (a batch's acks leave together). */
  flushAcks(): void {
    this.acks.flush();
  }

  /** Acknowledged without a handler: deleted from the stream while pending (XDEL, MAXLEN trim). */
  ackDeleted(streamKey: string, entryId: string): void {
    this.acks.ack(streamKey, entryId);
  }

  succeeded(entry: HeldMessage): void {
    if (entry.lost) {
      // Acking is still right: the work is done. The other consumer's later XACK is a no-op.
      this.options.logger.warn(
        `entry ${entry.entryId} of "${entry.stream}" was claimed or acked by another consumer while its handler ran here; acked it, it may have been handled twice`,
      );
    }
    const key = entry.idempotencyKey;
    if (this.options.dedupe && key !== undefined) {
      this.acks.ackCompleted(entry.streamKey, entry.entryId, entry.subscription.keys, key);
    } else {
      this.acks.ack(entry.streamKey, entry.entryId);
    }
    if (this.observers.timed) this.observers.current.handled!(entry.stream, 'success', performance.now() - entry.startedAt);
    this.observers.current.succeeded?.(entry);
  }

  skippedDuplicate(entry: HeldMessage): void {
    this.acks.ack(entry.streamKey, entry.entryId);
    this.observers.current.handled?.(entry.stream, 'skipped-duplicate', 0);
  }

  /** A handler failed with the entry; `retryAt` puts the retry at that time instead of the entry's own backoff. */
  failed(entry: HeldMessage, error: unknown, retryAt?: number): FailureOutcome {
    if (error instanceof RateLimitedError && this.units.pause) {
      this.heldBack([entry], error.retryAfterMs);
      return 'held-back';
    }
    return this.afterFailure(entry, error, retryAt);
  }

  /** RateLimitedError, not a failure: the group holds back `ms` (once for all these entries), then each is taken back uncounted (keepCount). */
  heldBack(entries: readonly HeldMessage[], ms: number): void {
    const pause = this.units.pause;
    if (pause === undefined || entries.length === 0) return;
    const stream = entries[0].stream;
    pause.holdBack(entries[0].streamKey, ms).catch((error: Error) => this.errors.report(`rate-limit hold of ${stream}`, error));
    if (this.control.stopping) return; // left pending: another consumer reclaims them
    const dueAt = Date.now() + ms;
    for (const { streamKey, entryId, subscription, heldSince } of entries) {
      this.retries.schedule({ streamKey, entryId, dueAt, subscription, heldSince, lost: false, keepCount: true });
    }
  }

  /** Dead-letters the entry, or schedules its retry after the backoff (or at `retryAt`). */
  afterFailure(entry: HeldMessage, error: unknown, retryAt?: number): FailureOutcome {
    const subscription = entry.subscription;
    const durationMs = this.observers.timed ? performance.now() - entry.startedAt : 0;
    const reason = deadLetterReasonFor(error, entry.deliveryCount, subscription.options.maxDeliveries, this.options.isUnrecoverable);
    if (reason !== undefined) {
      this.deadLetter(subscription, entry.entryId, entry.fields, entry.deliveryCount, reason, error, durationMs, entry.streamKey);
      return 'dead-lettered';
    }
    this.observers.current.handled?.(entry.stream, 'retried', durationMs);
    const failure = { stream: entry.stream, entryId: entry.entryId, streamKey: entry.streamKey, deliveries: entry.deliveryCount, error, deadLettered: false };
    if (this.control.stopping) {
      this.observers.current.failed?.(failure);
      return 'left-pending'; // another consumer reclaims it
    }
    const dueAt = retryAt ?? Date.now() + backoffDelay(entry.deliveryCount, subscription.options.backoff);
    this.retries.schedule({ streamKey: entry.streamKey, entryId: entry.entryId, dueAt, subscription, heldSince: entry.heldSince, lost: false });
    this.observers.current.failed?.({ ...failure, retryAt: dueAt });
    return 'retrying';
  }

  /** `streamKey`: the (priority level) stream the entry is pending on. */
  deadLetter(
    subscription: Subscription, entryId: string, fields: readonly string[], deliveries: number, reason: DeadLetterReason, error: unknown, durationMs = 0,
    streamKey = subscription.keys.stream,
  ): void {
    this.deadLetters.send(subscription, entryId, fields, deliveries, reason, error, durationMs, streamKey);
  }
}
