/**
 * What the consumer holds while an entry is in its hands: the subscription it belongs to,
 * and one `HeldMessage` per entry read or claimed and not finished yet (running, or
 * waiting for its handler's own concurrency limit). One object per message: it is the
 * message the handler sees, the link in the held list and the lease the keeper refreshes.
 */
import type { DecodedEnvelope } from '../envelope.js';
import type { StreamKeys } from '../keys.js';
import type { ResolvedHandlerOptions } from '../options.js';
import type { HeldLink } from './held-entries.js';
import type { HeldEntry } from './lease-keeper.js';
import type { BatchHandler, HandlerMiddleware, MessageHandler, ReceivedMessage } from './received-message.js';
import type { ScheduledRetry } from './retry-scheduler.js';

export interface Subscription {
  readonly keys: StreamKeys;
  /** Set on each partition of a partitioned stream: its logical stream and index (partitions/partition-sources.ts). */
  readonly partition?: { readonly name: string; readonly index: number };
  /** The stream keys read for it, highest priority level first: `[keys.stream]` until levels are in use (priority-levels.ts). */
  streamKeys: readonly string[];
  readonly handler: MessageHandler;
  /** Set for a batch handler (`options.batch`): it is called with the batches, `handler` never. */
  readonly batchHandler?: BatchHandler;
  /** The batch handler inside the tracing span (middlewares wrap single messages only), composed at start. */
  handleBatch?: BatchHandler;
  readonly options: ResolvedHandlerOptions;
  /** The handler inside every middleware, composed at start. */
  handle: MessageHandler;
  running: number;
  /** Entries read (holding a slot) waiting for this handler's own concurrency limit. */
  readonly waiting: HeldMessage[];
  /** Writes a handler's progress report (set at start, by the job tracker). */
  progress?: (message: ReceivedMessage, value: unknown) => Promise<void>;
}

/**
 * The delivery count convention of every path that hands an entry over (new reads, own
 * pending entries re-read at start, retries taken back, reclaims): deliveries of the
 * entry to any consumer of the group, this one included, i.e. XPENDING's counter once
 * the read or claim that brought it here has counted it. One exception: an entry taken back
 * after a RateLimitedError's hold is not counted again (that attempt was not a delivery), so
 * it runs with the same count as the attempt that was held back.
 */
export class HeldMessage implements HeldEntry, HeldLink, ReceivedMessage {
  lost = false;
  startedAt = 0;
  readonly heldSince = Date.now();
  heldPrev: HeldLink | undefined = undefined;
  heldNext: HeldLink | undefined = undefined;
  isHeld = false;

  constructor(
    readonly subscription: Subscription,
    readonly entryId: string,
    readonly fields: string[],
    readonly deliveryCount: number,
    private readonly envelope: DecodedEnvelope,
    /** The (level) stream it was read from. */
    readonly streamKey: string = subscription.keys.stream,
  ) {}
  get stream(): string {
    return this.subscription.keys.name;
  }
  get data(): unknown {
    return this.envelope.data;
  }
  get messageId(): string {
    return this.envelope.messageId;
  }
  get headers(): Record<string, string> {
    return this.envelope.headers ?? {};
  }
  get timestamp(): number {
    return this.envelope.timestamp;
  }
  get idempotencyKey(): string | undefined {
    return this.envelope.idempotencyKey;
  }
  get replyTo(): string | undefined {
    return this.envelope.replyTo;
  }
  get correlationId(): string | undefined {
    return this.envelope.correlationId;
  }
  reportProgress(value: number | Record<string, unknown>): Promise<void> {
    return this.subscription.progress?.(this, value) ?? Promise.resolve();
  }
}

/** A failed entry waiting for its backoff; it stays pending on this consumer meanwhile. */
export interface WaitingRetry extends HeldEntry, ScheduledRetry {
  readonly subscription: Subscription;
  /** Held back by RateLimitedError: taken back without counting a delivery (XCLAIM RETRYCOUNT). */
  readonly keepCount?: boolean;
}

/** The handler inside every middleware, outermost first. */
export function composeHandler(middlewares: readonly HandlerMiddleware[], handler: MessageHandler): MessageHandler {
  return middlewares.reduceRight<MessageHandler>(
    (next, middleware) => (message) => middleware(message, async () => next(message)),
    handler,
  );
}
