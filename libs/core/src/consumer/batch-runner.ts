/**
 * Batch handlers (`subscribe(stream, handler, { batch: { maxSize, maxWaitMs } })`): one
 * BatchCollector per such handler lines its entries up; a due batch starts as one running
 * handler when both concurrency limits have room (the dispatcher's, asked through
 * BatchHost), and its outcome is shared out to its entries through EntryOutcomes:
 *
 * - resolved: every entry acked, the acks flushed together;
 * - threw (or timed out after `timeoutMs`): every entry retried at one time, the backoff of the
 *   most delivered one (so they come back together), or dead-lettered once past
 *   `maxDeliveries` (each by its own delivery count), as single entries are;
 * - a `BatchFailure`, thrown or returned: the entries it names fail as above (each with its own
 *   error), the rest are acked. Ids it names that are not in the batch fail the whole batch.
 *
 * Entries keep their slots (and leases) until the batch settles; a batch of a paused stream
 * parks its entries, which line up again on resume.
 */
import { followHandlerResult, type SettlementCallbacks } from './handler-settlement.js';
import { backoffDelay } from '../backoff.js';
import { BatchFailure, BatchFailureMismatchError, ConsumerSetupError, HandlerTimeoutError, RateLimitedError } from '../errors/index.js';
import { BatchCollector } from './batch-collector.js';
import type { EntryOutcomes } from './entry-outcomes.js';
import type { HeldMessage, Subscription } from './held-message.js';
import type { MessageHandler } from './received-message.js';
import type { ObserverHub } from './observer-hub.js';

/** What the batch runner needs of the dispatcher, which owns the slots and the running count. */
export interface BatchHost {
  /** One more handler of this subscription may start now (its own limit and the consumer's). */
  hasRoom(subscription: Subscription): boolean;
  /** A batch counts as one running handler. */
  handlerStarted(subscription: Subscription): void;
  /** Its handler settled: the running count drops and the next waiting work starts. */
  handlerEnded(subscription: Subscription): void;
  /** The entry is no longer held (it keeps its slot until the handler settles). */
  forget(entry: HeldMessage): void;
  releaseSlots(count: number): void;
  isPaused(streamKey: string): boolean;
  park(entries: readonly HeldMessage[]): void;
}

/** A batch whose handler runs. */
interface RunningBatch {
  readonly subscription: Subscription;
  readonly batch: HeldMessage[];
}

export class BatchRunner {
  private readonly collectors = new Map<Subscription, BatchCollector>();

  constructor(
    subscriptions: Iterable<Subscription>,
    private readonly host: BatchHost,
    private readonly outcomes: EntryOutcomes,
    private readonly observers: ObserverHub,
  ) {
    for (const subscription of subscriptions) this.collectorOf(subscription);
  }

  /** A runner for the batch handlers among these subscriptions; undefined when there is none. */
  static for(subscriptions: Iterable<Subscription>, host: BatchHost, outcomes: EntryOutcomes, observers: ObserverHub): BatchRunner | undefined {
    const runner = new BatchRunner(subscriptions, host, outcomes, observers);
    return runner.collectors.size > 0 ? runner : undefined;
  }

  /** Lines up an entry (it holds a slot, passed the dedupe check) for its handler's next batch. */
  add(entry: HeldMessage): void {
    this.collectorOf(entry.subscription)!.add(entry);
  }

  /** The line of a batch handler's subscription; made on first use for a partition added by growth. */
  private collectorOf(subscription: Subscription): BatchCollector | undefined {
    const known = this.collectors.get(subscription);
    const batch = subscription.options.batch;
    if (known !== undefined || batch === undefined || subscription.batchHandler === undefined) return known;
    const collector = new BatchCollector(subscription, batch.maxSize, batch.maxWaitMs, (due) => this.startDue(due));
    this.collectors.set(subscription, collector);
    return collector;
  }

  /** Starts the batches of this collector that are due, as far as the limits allow. */
  startDue(collector: BatchCollector): void {
    while (collector.due && this.host.hasRoom(collector.subscription)) this.run(collector);
  }

  /** Starts due batches of this subscription (its handler just ended), if it has a collector. */
  startDueOf(subscription: Subscription): void {
    const collector = this.collectors.get(subscription);
    if (collector !== undefined) this.startDue(collector);
  }

  /** The collector whose due batch waits longest and whose handler has room of its own, if any. */
  oldestWaiting(): BatchCollector | undefined {
    let oldest: BatchCollector | undefined;
    for (const collector of this.collectors.values()) {
      if (!collector.due || collector.subscription.running >= collector.subscription.options.concurrency) continue;
      if (oldest === undefined || collector.oldestSince < oldest.oldestSince) oldest = collector;
    }
    return oldest;
  }

  /** Shutdown: every entry in line (none started), to be handed back. */
  dropUnstarted(): HeldMessage[] {
    const dropped: HeldMessage[] = [];
    for (const collector of this.collectors.values()) dropped.push(...collector.drop());
    return dropped;
  }

  run(collector: BatchCollector): void {
    const subscription = collector.subscription;
    const batch = collector.take();
    if (this.host.isPaused(subscription.keys.stream)) return this.host.park(batch);
    this.host.handlerStarted(subscription);
    const startedAt = this.observers.timed ? performance.now() : 0;
    const observer = this.observers.current;
    for (const entry of batch) {
      entry.startedAt = startedAt;
      observer.started?.(entry);
    }
    let result: unknown;
    try {
      result = subscription.handleBatch!(batch);
    } catch (error) {
      this.settled(subscription, batch, error, true);
      return;
    }
    followHandlerResult(result, subscription.options.timeoutMs, this.settlement, { subscription, batch });
  }

  /**
   * How a batch handler's result ends its batch. Past `timeoutMs` every entry of the batch takes
   * the failure path at once; the batch keeps its slots and its running handler until it settles.
   */
  private readonly settlement: SettlementCallbacks<RunningBatch> = {
    settled: ({ subscription, batch }, value, threw) => this.settled(subscription, batch, value, threw),
    timedOut: ({ subscription, batch }, timeoutMs) => {
      for (const entry of batch) this.host.forget(entry);
      const retryAt = this.retryAt(subscription, batch);
      for (const entry of batch) this.outcomes.afterFailure(entry, new HandlerTimeoutError(entry.stream, entry.entryId, timeoutMs), retryAt);
    },
    settledAfterTimeout: ({ subscription, batch }) => {
      this.host.releaseSlots(batch.length);
      this.host.handlerEnded(subscription);
    },
  };

  /** The handler returned `value` (threw it when `threw`): each entry's outcome, then the slots back. */
  private settled(subscription: Subscription, batch: HeldMessage[], value: unknown, threw: boolean): void {
    for (const entry of batch) this.host.forget(entry);
    if (value instanceof BatchFailure) this.partlyFailed(subscription, batch, value);
    else if (threw) this.allFailed(subscription, batch, value);
    else for (const entry of batch) this.outcomes.succeeded(entry);
    this.outcomes.flushAcks();
    this.host.releaseSlots(batch.length);
    this.host.handlerEnded(subscription);
  }

  private allFailed(subscription: Subscription, batch: HeldMessage[], error: unknown): void {
    if (error instanceof RateLimitedError) return this.outcomes.heldBack(batch, error.retryAfterMs);
    const retryAt = this.retryAt(subscription, batch);
    for (const entry of batch) this.outcomes.failed(entry, error, retryAt);
  }

  private partlyFailed(subscription: Subscription, batch: HeldMessage[], failure: BatchFailure): void {
    const failed = new Map<HeldMessage, unknown>();
    const unknown: string[] = [];
    const byId = new Map<string, HeldMessage>();
    for (const entry of batch) byId.set(entry.messageId, entry);
    for (const entry of batch) byId.set(entry.entryId, entry);
    for (const [id, error] of failure.failures) {
      const entry = byId.get(id);
      if (entry === undefined) unknown.push(id);
      else failed.set(entry, error);
    }
    if (unknown.length > 0) return this.allFailed(subscription, batch, new BatchFailureMismatchError(unknown, batch.length));
    const retryAt = this.retryAt(subscription, [...failed.keys()]);
    for (const entry of batch) {
      if (failed.has(entry)) this.outcomes.failed(entry, failed.get(entry), retryAt);
      else this.outcomes.succeeded(entry);
    }
  }

  /** One retry time for entries that failed together: the backoff of the most delivered one. */
  private retryAt(subscription: Subscription, entries: readonly HeldMessage[]): number {
    let deliveries = 1;
    for (const entry of entries) if (entry.deliveryCount > deliveries) deliveries = entry.deliveryCount;
    return Date.now() + backoffDelay(deliveries, subscription.options.backoff);
  }
}

/** The per-message handler of a batch subscription: never called (its entries go to the batch runner). */
export function batchOnly(stream: string): MessageHandler {
  return () => {
    throw new ConsumerSetupError('ERR_BATCH_HANDLER', `The handler of "${stream}" takes batches; it cannot be called with one message.`);
  };
}
