/**
 * The per-message path: an entry that holds a slot is decoded, checked against the
 * group's completion marks, run (or queued until a handler slot is free), timed out, and
 * then acked, retried or dead-lettered. The whole chain is direct method calls on this
 * one object, one promise reaction and one HeldMessage per entry.
 *
 * Two limits (DESIGN.md, delivery semantics 8): `prefetch` entries held, `concurrency`
 * handlers running. It owns the held slots: readers and claims reserve them here before
 * asking Redis, hand each entry they got over with accept(), and give back what they did
 * not use; every entry handed over frees its slot here once it is finished. An entry that
 * holds a slot but no handler waits in `ready` (the consumer's limit) or in its
 * subscription's `waiting` (the handler's own limit); it stays in `held`, so the lease
 * keeper refreshes it however long it waits.
 */
import { decodeEnvelope, type DecodedEnvelope } from '../envelope.js';
import { HandlerTimeoutError, MaxDeliveriesError, PayloadTooLargeError, RateLimitedError, UnknownStreamKeyError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { ResolvedConsumerOptions } from '../options.js';
import type { AckBatcher } from './ack-batcher.js';
import { backoffDelay } from '../backoff.js';
import type { CompletionCheck } from './completion-check.js';
import type { DeadLetterOutcome } from './dead-letter-outcome.js';
import type { ErrorReporter } from './error-reporter.js';
import { deadLetterReasonFor } from './failure-policy.js';
import { HeldEntries, takeWhere } from './held-entries.js';
import { HeldMessage, type Subscription, type WaitingRetry } from './held-message.js';
import type { ObserverHub } from './observer-hub.js';
import type { DeadLetterReason } from './received-message.js';
import type { RetryScheduler } from './retry-scheduler.js';
import type { RunControl } from './run-control.js';
import { Slots } from './slots.js';
import type { XReadReply } from './stream-reader.js';
import type { OrderedEntry, OrderedLanes } from '../ordered/ordered-lanes.js';

export interface DispatcherUnits {
  readonly acks: AckBatcher;
  readonly completion: CompletionCheck;
  readonly deadLetters: DeadLetterOutcome;
  readonly retries: RetryScheduler<WaitingRetry>;
  readonly observers: ObserverHub;
  readonly errors: ErrorReporter;
  readonly control: RunControl;
  /** Paused groups and RateLimitedError's holds (pause-control.ts): entries of a paused stream do not start. */
  readonly pause?: { isPaused(streamKey: string): boolean; holdBack(streamKey: string, ms: number): Promise<void> };
  /** Ordered subscriptions (ordered/ordered-lanes.ts): one entry per key at a time, nothing started without a valid lease. */
  readonly ordered?: OrderedLanes<HeldMessage>;
}

export class Dispatcher {
  private readonly slots: Slots;
  private readonly held = new HeldEntries<HeldMessage>();
  /** Handlers running now, never above `concurrency`. */
  private running = 0;
  /** Held entries whose handler has room but the consumer has none: they start first come first served. */
  private readonly ready: HeldMessage[] = [];
  /** Entries that came in during shutdown (a kept read, a dedupe check): never started, to be handed back. */
  private readonly unstarted: HeldMessage[] = [];
  /** Held entries of a paused stream whose handler had not started: they start on resume. */
  private readonly parked: HeldMessage[] = [];
  private readonly acks: AckBatcher;
  private readonly completion: CompletionCheck;
  private readonly deadLetters: DeadLetterOutcome;
  private readonly retries: RetryScheduler<WaitingRetry>;
  private readonly observers: ObserverHub;
  private readonly errors: ErrorReporter;
  private readonly control: RunControl;

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly keys: KeyBuilder,
    private readonly subscriptions: ReadonlyMap<string, Subscription>,
    private readonly units: DispatcherUnits,
  ) {
    this.slots = new Slots(options.prefetch);
    this.acks = units.acks;
    this.completion = units.completion;
    this.deadLetters = units.deadLetters;
    this.retries = units.retries;
    this.observers = units.observers;
    this.errors = units.errors;
    this.control = units.control;
  }

  // ---------------------------------------------------------------- slots

  get freeSlots(): number {
    return this.slots.available;
  }

  /** Takes up to `wanted` slots for a read or claim; returns how many were taken. */
  reserve(wanted: number): number {
    return this.slots.take(wanted);
  }

  /** Gives back slots a read or claim reserved and did not fill (also when it failed). */
  unreserve(count: number): void {
    this.slots.release(count);
  }

  /** Resolves on the next slot released, or on interrupt(). */
  nextSlotChange(): Promise<void> {
    return this.slots.nextChange();
  }

  /** Wakes everyone waiting for a slot (shutdown). */
  interrupt(): void {
    this.slots.interrupt();
  }

  /** Resolves once every slot is free again, i.e. nothing is in flight. */
  whenIdle(): Promise<void> {
    return this.slots.whenIdle();
  }

  get slotsInUse(): number {
    return this.slots.inUse;
  }

  /** Handlers running now. */
  get runningCount(): number {
    return this.running;
  }

  /**
   * Shutdown: gives up every held entry whose handler has not started (they stay pending on
   * this consumer) and returns them, for the caller to hand back to the group.
   */
  dropUnstarted(): HeldMessage[] {
    const dropped = this.ready.splice(0);
    dropped.push(...this.unstarted.splice(0), ...this.parked.splice(0), ...(this.units.ordered?.dropAll() ?? []));
    for (const subscription of this.subscriptions.values()) dropped.push(...subscription.waiting.splice(0));
    for (const entry of dropped) this.held.delete(entry);
    this.slots.release(dropped.length);
    return dropped;
  }

  /** Ordered consumption gave a partition up: its unstarted held entries are let go (pending here, for its next owner). */
  dropStream(streamKey: string): number {
    const inStream = (entry: HeldMessage) => entry.streamKey === streamKey;
    // The partitions of a stream share one waiting queue (their handler's own limit).
    const queues = [this.ready, this.parked, ...new Set([...this.subscriptions.values()].map((s) => s.waiting))];
    const dropped = queues.flatMap((queue) => takeWhere(queue, inStream));
    dropped.push(...(this.units.ordered?.dropStream(streamKey) ?? []));
    for (const entry of dropped) this.held.delete(entry);
    this.slots.release(dropped.length);
    return dropped.length;
  }

  /** Entries read and not yet finished (running or waiting for a handler slot). */
  get heldCount(): number {
    return this.held.size;
  }

  /** The entries held now, for the lease keeper. */
  heldEntries(): Iterable<HeldMessage> {
    return this.held;
  }

  /** Ids of the entries of one stream this consumer's handlers hold now. */
  heldIds(streamKey: string): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.held) if (entry.streamKey === streamKey) ids.add(entry.entryId);
    return ids;
  }

  /** Resolves when every dead-letter write under way has settled. */
  backgroundSettled(): Promise<unknown> {
    return this.deadLetters.settled();
  }

  // ---------------------------------------------------------------- hand-over

  /** Hands every entry of a read (which already hold their slots) to its handler. */
  handOver(reply: XReadReply): void {
    if (reply === null) return;
    for (const [streamKey, entries] of reply) {
      const subscription = this.subscriptionByKey(streamKey);
      for (const [entryId, fields] of entries) this.accept(subscription, entryId, fields, 1);
    }
  }

  /**
   * Takes one entry that already holds a slot: decode, dedupe check, then the handler.
   * `deliveryCount` follows the convention of HeldMessage; `fields` is null for an entry
   * deleted from the stream while pending.
   */
  accept(subscription: Subscription, entryId: string, fields: string[] | null, deliveryCount: number): void {
    if (fields === null) {
      // Deleted from the stream while pending (XDEL, MAXLEN trim): nothing to handle.
      this.acks.ack(subscription.keys.stream, entryId);
      this.slots.release();
      return;
    }
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(entryId, fields, this.options.serializer, this.options.maxPayloadBytes, subscription.keys.name);
    } catch (error) {
      this.slots.release();
      // Oversized entries are refused before anything is parsed.
      this.deadLetter(subscription, entryId, fields, deliveryCount, error instanceof PayloadTooLargeError ? 'too-large' : 'decode-error', error);
      return;
    }
    const maxDeliveries = subscription.options.maxDeliveries;
    if (deliveryCount > maxDeliveries) {
      // Delivered again and again without ever failing cleanly: its handler crashes or
      // hangs the worker (OOM, infinite loop). Running it once more would only repeat that.
      this.slots.release();
      const error = new MaxDeliveriesError(entryId, deliveryCount, maxDeliveries);
      this.deadLetter(subscription, entryId, fields, deliveryCount, 'max-deliveries', error);
      return;
    }
    const entry = new HeldMessage(subscription, entryId, fields, deliveryCount, envelope);
    this.held.add(entry);
    const dedupe = this.options.dedupe;
    if (dedupe && envelope.idempotencyKey !== undefined) {
      const mark = subscription.keys.completed(this.options.group, envelope.idempotencyKey);
      this.completion.isCompleted(subscription.keys.stream, mark).then(
        (completed) => (completed ? this.skipDuplicate(entry) : this.schedule(entry)),
        (error: Error) => {
          // Run it rather than hold it: at-least-once stands; only the skip of a repeat is lost.
          this.errors.report('dedupe', new Error(`completion-mark lookup (MGET) failed, entry ${entry.entryId} runs unchecked and a key completed before may run again: ${error.message}`, { cause: error }));
          this.schedule(entry);
        },
      );
      return;
    }
    this.schedule(entry);
  }

  // ---------------------------------------------------------------- run

  private schedule(entry: HeldMessage): void {
    if (this.control.stopping) {
      // Not started during shutdown: kept for dropUnstarted, which hands it back.
      this.unstarted.push(entry);
      return;
    }
    const subscription = entry.subscription;
    if (subscription.options.ordered && this.units.ordered && !this.units.ordered.admit(entry)) return;
    if (subscription.running >= subscription.options.concurrency) subscription.waiting.push(entry);
    else if (this.running >= this.options.concurrency) this.ready.push(entry);
    else this.execute(entry);
  }

  /** The pause state changed: parked entries start now, as the limits allow (or park again). */
  startParked(): void {
    for (const entry of this.parked.splice(0)) this.schedule(entry);
  }

  private execute(entry: HeldMessage): void {
    if (this.units.pause?.isPaused(entry.streamKey)) return void this.parked.push(entry);
    const subscription = entry.subscription;
    if (subscription.options.ordered && this.units.ordered && !this.units.ordered.mayStart(entry)) return this.abandon(entry);
    subscription.running += 1;
    this.running += 1;
    if (this.observers.timed) entry.startedAt = performance.now();
    this.observers.current.started?.(entry);
    let result: unknown;
    try {
      result = subscription.handle(entry);
    } catch (error) {
      this.failed(entry, error);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      if (subscription.options.timeoutMs === undefined) {
        (result as Promise<unknown>).then(
          () => this.succeeded(entry),
          (error: unknown) => this.failed(entry, error),
        );
      } else {
        this.settleWithTimeout(entry, result as Promise<unknown>, subscription.options.timeoutMs);
      }
    } else {
      this.succeeded(entry);
    }
  }

  /**
   * Past `timeoutMs` the entry takes the failure path (retry or dead letter) at once, but
   * the handler cannot be stopped: it keeps its slot until it really settles, so the
   * concurrency limit stays true while it runs on.
   */
  private settleWithTimeout(entry: HeldMessage, result: Promise<unknown>, timeoutMs: number): void {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.held.delete(entry);
      this.afterFailure(entry, new HandlerTimeoutError(entry.stream, entry.entryId, timeoutMs));
    }, timeoutMs);
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      if (timedOut) this.releaseSlot(entry.subscription);
      else outcome();
    };
    result.then(
      () => settle(() => this.succeeded(entry)),
      (error: unknown) => settle(() => this.failed(entry, error)),
    );
  }

  private finish(entry: HeldMessage): void {
    this.held.delete(entry);
    this.releaseSlot(entry.subscription);
  }

  private releaseSlot(subscription: Subscription): void {
    subscription.running -= 1;
    this.running -= 1;
    this.slots.release();
    // Stopping: nothing more starts; shutdown hands the unstarted entries back (dropUnstarted).
    if (this.control.stopping) return;
    // The handler's own queue first: its entries were behind the tighter limit.
    if (subscription.waiting.length > 0 && subscription.running < subscription.options.concurrency) {
      const next = subscription.waiting.shift()!;
      if (this.running < this.options.concurrency) this.execute(next);
      else this.ready.push(next);
    }
    while (this.running < this.options.concurrency && this.ready.length > 0) {
      const next = this.ready.shift()!;
      // Its handler may have filled up since it was queued: then it waits behind that limit.
      if (next.subscription.running >= next.subscription.options.concurrency) next.subscription.waiting.push(next);
      else this.execute(next);
    }
  }

  // ---------------------------------------------------------------- outcomes

  private succeeded(entry: HeldMessage): void {
    this.finish(entry);
    if (entry.lost) {
      // Acking is still right: the work is done. The other consumer's later XACK is a no-op.
      this.options.logger.warn(
        `entry ${entry.entryId} of "${entry.stream}" was claimed or acked by another consumer while its handler ran here; acked it, it may have been handled twice`,
      );
    }
    const key = entry.idempotencyKey;
    if (this.options.dedupe && key !== undefined) {
      this.acks.ackCompleted(entry.streamKey, entry.entryId, entry.subscription.keys.completed(this.options.group, key));
    } else {
      this.acks.ack(entry.streamKey, entry.entryId);
    }
    if (this.observers.timed) this.observers.current.handled!(entry.stream, 'success', performance.now() - entry.startedAt);
    this.observers.current.succeeded?.(entry);
    this.releaseKey(entry.subscription, entry);
  }

  /** Its lease is gone: the entry does not start, and nothing else of its partition does (left pending for the next owner). */
  private abandon(entry: HeldMessage): void {
    this.held.delete(entry);
    this.slots.release();
    this.dropStream(entry.streamKey);
  }

  /** An ordered entry is done (handled, skipped or dead-lettered): the next entry of its key goes on. */
  private releaseKey(subscription: Subscription, entry: OrderedEntry): void {
    if (!subscription.options.ordered) return;
    const next = this.units.ordered?.release(entry);
    if (next !== undefined) this.schedule(next);
  }

  private skipDuplicate(entry: HeldMessage): void {
    this.held.delete(entry);
    this.slots.release();
    this.acks.ack(entry.streamKey, entry.entryId);
    this.observers.current.handled?.(entry.stream, 'skipped-duplicate', 0);
    this.releaseKey(entry.subscription, entry);
  }

  private failed(entry: HeldMessage, error: unknown): void {
    this.finish(entry);
    if (error instanceof RateLimitedError && this.units.pause) this.heldBack(entry, error.retryAfterMs, this.units.pause);
    else this.afterFailure(entry, error);
  }

  /** RateLimitedError, not a failure: the group holds back `ms`, then the entry is taken back uncounted (keepCount). */
  private heldBack(entry: HeldMessage, ms: number, pause: NonNullable<DispatcherUnits['pause']>): void {
    pause.holdBack(entry.streamKey, ms).catch((error: Error) => this.errors.report(`rate-limit hold of ${entry.stream}`, error));
    const { streamKey, entryId, subscription, heldSince } = entry; // stopping: left pending, another consumer reclaims it
    if (!this.control.stopping) this.retries.schedule({ streamKey, entryId, dueAt: Date.now() + ms, subscription, heldSince, lost: false, keepCount: true });
  }

  /** Dead-letters the entry, or schedules its retry after the backoff. */
  private afterFailure(entry: HeldMessage, error: unknown): void {
    const subscription = entry.subscription;
    const durationMs = this.observers.timed ? performance.now() - entry.startedAt : 0;
    const reason = deadLetterReasonFor(error, entry.deliveryCount, subscription.options.maxDeliveries, this.options.isUnrecoverable);
    if (reason !== undefined) {
      this.deadLetter(subscription, entry.entryId, entry.fields, entry.deliveryCount, reason, error, durationMs);
      return;
    }
    this.observers.current.handled?.(entry.stream, 'retried', durationMs);
    const failure = { stream: entry.stream, entryId: entry.entryId, deliveries: entry.deliveryCount, error, deadLettered: false };
    if (this.control.stopping) {
      this.observers.current.failed?.(failure);
      return; // left pending: another consumer reclaims it
    }
    const dueAt = Date.now() + backoffDelay(entry.deliveryCount, subscription.options.backoff);
    this.retries.schedule({ streamKey: entry.streamKey, entryId: entry.entryId, dueAt, subscription, heldSince: entry.heldSince, lost: false });
    this.observers.current.failed?.({ ...failure, retryAt: dueAt });
  }

  private deadLetter(subscription: Subscription, entryId: string, fields: readonly string[], deliveries: number, reason: DeadLetterReason, error: unknown, durationMs = 0): void {
    this.deadLetters.send(subscription, entryId, fields, deliveries, reason, error, durationMs);
    this.releaseKey(subscription, { streamKey: subscription.keys.stream, entryId, fields });
  }

  private subscriptionByKey(streamKey: string): Subscription {
    const name = this.keys.parseStream(streamKey);
    const subscription = name === undefined ? undefined : this.subscriptions.get(name);
    if (!subscription) throw new UnknownStreamKeyError(streamKey);
    return subscription;
  }
}
