/**
 * The per-message path: an entry that holds a slot is decoded, checked against the
 * group's completion marks, run (or queued until a handler slot is free), timed out, and
 * then acked, retried or dead-lettered (entry-outcomes.ts). The whole chain is direct
 * method calls, one promise reaction and one HeldMessage per entry.
 *
 * Two limits (DESIGN.md, delivery semantics 8): `prefetch` entries held, `concurrency`
 * handlers running. It owns the held slots: readers and claims reserve them here before
 * asking Redis, hand each entry they got over with accept(), and give back what they did
 * not use; every entry handed over frees its slot here once it is finished. An entry that
 * holds a slot but no handler waits in `ready` (the consumer's limit) or in its
 * subscription's `waiting` (the handler's own limit); it stays in `held`, so the lease
 * keeper refreshes it however long it waits. An entry of a batch handler lines up in the
 * BatchRunner instead (batch-runner.ts), whose batches run as one handler each.
 */
import { decodeEnvelope, type DecodedEnvelope } from '../envelope.js';
import { HandlerTimeoutError, MaxDeliveriesError, PayloadTooLargeError, UnknownStreamKeyError } from '../errors/index.js';
import { levelBaseKey, type KeyBuilder } from '../keys.js';
import type { ResolvedConsumerOptions } from '../options.js';
import type { CompletionCheck, CompletionListener } from './completion-check.js';
import { EntryOutcomes, type OutcomeUnits } from './entry-outcomes.js';
import type { ErrorReporter } from './error-reporter.js';
import { HeldEntries, takeWhere } from './held-entries.js';
import { HeldMessage, type Subscription } from './held-message.js';
import { BatchRunner, type BatchHost } from './batch-runner.js';
import type { ObserverHub } from './observer-hub.js';
import type { RunControl } from './run-control.js';
import { followHandlerResult, type SettlementCallbacks } from './handler-settlement.js';
import { Slots } from './slots.js';
import type { XReadReply } from './stream-reader.js';
import type { OrderedEntry, OrderedLanes } from '../ordered/ordered-lanes.js';

export interface DispatcherUnits extends OutcomeUnits {
  /** Set when consumer dedupe is on. */
  readonly completion: CompletionCheck | undefined;
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
  private readonly completion: CompletionCheck | undefined;
  private readonly outcomes: EntryOutcomes;
  /** Batch handlers' lines and runs (batch-runner.ts); undefined when no handler takes batches. */
  private readonly batches: BatchRunner | undefined;
  private readonly observers: ObserverHub;
  private readonly errors: ErrorReporter;
  private readonly control: RunControl;
  /**
   * How a handler's result ends its entry. Past `timeoutMs` the entry takes the failure path
   * (retry or dead letter) at once, while the handler keeps its slot until it really settles.
   */
  private readonly settlement: SettlementCallbacks<HeldMessage> = {
    settled: (entry, value, threw) => (threw ? this.failed(entry, value) : this.succeeded(entry)),
    timedOut: (entry, timeoutMs) => {
      this.held.delete(entry);
      this.outcomes.afterFailure(entry, new HandlerTimeoutError(entry.stream, entry.entryId, timeoutMs));
    },
    settledAfterTimeout: (entry) => this.releaseSlot(entry.subscription),
  };
  /** Where the completion-mark lookups answer (one listener, no promise per entry). */
  private readonly completionAnswers: CompletionListener<HeldMessage> = {
    checked: (entry, completed) => (completed ? this.skipDuplicate(entry) : this.schedule(entry)),
    checkFailed: (entry, error) => {
      // Run it rather than hold it: at-least-once stands; only the skip of a repeat is lost.
      this.errors.report('dedupe', new Error(`completion-mark lookup failed, entry ${entry.entryId} runs unchecked and a key completed before may run again: ${error.message}`, { cause: error }));
      this.schedule(entry);
    },
  };

  constructor(
    private readonly options: ResolvedConsumerOptions,
    private readonly keys: KeyBuilder,
    private readonly subscriptions: ReadonlyMap<string, Subscription>,
    private readonly units: DispatcherUnits,
  ) {
    this.slots = new Slots(options.prefetch);
    this.completion = units.completion;
    this.outcomes = new EntryOutcomes(options, units);
    this.observers = units.observers;
    this.batches = BatchRunner.for(subscriptions.values(), this.batchHost(), this.outcomes, this.observers);
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

  /**
   * Resolves once the next slot is released and the turn of the event loop that released it
   * is over. Handlers settle in bursts (a read's entries, or a lookup's answers, release
   * many slots in one turn): a read sent at the first release asks for that one slot, the
   * next for the few released by then. A keyed drain of 100,000 entries sent 623 XREADGROUPs
   * of 1 to 256 entries that way, and 392 of 256 when it waits for the turn to end.
   */
  async slotsFreed(): Promise<void> {
    await this.slots.nextChange();
    await new Promise<void>((resolve) => setImmediate(resolve));
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
    dropped.push(...this.unstarted.splice(0), ...this.parked.splice(0), ...(this.batches?.dropUnstarted() ?? []), ...(this.units.ordered?.dropAll() ?? []));
    for (const subscription of this.subscriptions.values()) dropped.push(...subscription.waiting.splice(0));
    for (const entry of dropped) this.held.delete(entry);
    this.slots.release(dropped.length);
    return dropped;
  }

  /** Ordered consumption gave a partition up: its unstarted held entries are let go (pending here, for its next owner). */
  dropStream(streamKey: string, also?: HeldMessage): number {
    const inStream = (entry: HeldMessage) => entry.streamKey === streamKey;
    // The partitions of a stream share one waiting queue (their handler's own limit).
    const queues = [this.ready, this.parked, ...new Set([...this.subscriptions.values()].map((s) => s.waiting))];
    const dropped = queues.flatMap((queue) => takeWhere(queue, inStream));
    dropped.push(...(this.units.ordered?.dropStream(streamKey) ?? []));
    for (const entry of dropped) this.held.delete(entry);
    this.slots.release(dropped.length);
    const ids = dropped.map((entry) => entry.entryId);
    if (also !== undefined) ids.push(also.entryId);
    if (ids.length > 0) this.units.ordered?.letGoUnstarted(streamKey, ids);
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
    return this.units.deadLetters.settled();
  }

  // ---------------------------------------------------------------- hand-over

  /** Hands every entry of a read (which already hold their slots) to its handler. */
  handOver(reply: XReadReply): void {
    if (reply === null) return;
    for (const [streamKey, entries] of reply) {
      const subscription = this.subscriptionByKey(streamKey);
      for (const [entryId, fields] of entries) this.accept(subscription, entryId, fields, 1, streamKey);
    }
  }

  /**
   * Takes one entry that already holds a slot: decode, dedupe check, then the handler.
   * `deliveryCount` follows the convention of HeldMessage; `fields` is null for an entry
   * deleted from the stream while pending; `streamKey` is the (priority level) stream it came from.
   */
  accept(subscription: Subscription, entryId: string, fields: string[] | null, deliveryCount: number, streamKey = subscription.keys.stream): void {
    if (fields === null) {
      // Deleted from the stream while pending (XDEL, MAXLEN trim): nothing to handle.
      this.outcomes.ackDeleted(streamKey, entryId);
      this.slots.release();
      return;
    }
    let envelope: DecodedEnvelope;
    try {
      envelope = decodeEnvelope(entryId, fields, this.options.serializer, this.options.maxPayloadBytes, subscription.keys.name);
    } catch (error) {
      this.slots.release();
      // Oversized entries are refused before anything is parsed.
      this.outcomes.deadLetter(subscription, entryId, fields, deliveryCount, error instanceof PayloadTooLargeError ? 'too-large' : 'decode-error', error, 0, streamKey);
      this.releaseKey(subscription, { streamKey, entryId, fields });
      return;
    }
    const maxDeliveries = subscription.options.maxDeliveries;
    if (deliveryCount > maxDeliveries) {
      // Delivered again and again without ever failing cleanly: its handler crashes or
      // hangs the worker (OOM, infinite loop). Running it once more would only repeat that.
      this.slots.release();
      const error = new MaxDeliveriesError(entryId, deliveryCount, maxDeliveries);
      this.outcomes.deadLetter(subscription, entryId, fields, deliveryCount, 'max-deliveries', error, 0, streamKey);
      this.releaseKey(subscription, { streamKey, entryId, fields });
      return;
    }
    const entry = new HeldMessage(subscription, entryId, fields, deliveryCount, envelope, streamKey);
    this.held.add(entry);
    const completion = this.completion;
    if (completion !== undefined && envelope.idempotencyKey !== undefined) {
      completion.check(subscription.keys, envelope.idempotencyKey, entry, this.completionAnswers);
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
    if (subscription.batchHandler !== undefined) this.batches!.add(entry);
    else if (subscription.running >= subscription.options.concurrency) subscription.waiting.push(entry);
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
    followHandlerResult(result, subscription.options.timeoutMs, this.settlement, entry);
  }

  private finish(entry: HeldMessage): void {
    this.held.delete(entry);
    this.releaseSlot(entry.subscription);
  }

  private releaseSlot(subscription: Subscription): void {
    this.slots.release();
    this.handlerEnded(subscription);
  }

  /** A handler (of one entry or one batch) settled: the next waiting work starts, as the limits allow. */
  private handlerEnded(subscription: Subscription): void {
    subscription.running -= 1;
    this.running -= 1;
    // Stopping: nothing more starts; shutdown hands the unstarted entries back (dropUnstarted).
    if (this.control.stopping) return;
    // The handler's own queue first: its entries were behind the tighter limit.
    if (subscription.waiting.length > 0 && subscription.running < subscription.options.concurrency) {
      const next = subscription.waiting.shift()!;
      if (this.running < this.options.concurrency) this.execute(next);
      else this.ready.push(next);
    } else if (this.batches !== undefined) {
      this.batches.startDueOf(subscription);
    }
    if (this.batches !== undefined) return this.startReadyAndBatches(this.batches);
    while (this.running < this.options.concurrency && this.ready.length > 0) {
      const next = this.ready.shift()!;
      // Its handler may have filled up since it was queued: then it waits behind that limit.
      if (next.subscription.running >= next.subscription.options.concurrency) next.subscription.waiting.push(next);
      else this.execute(next);
    }
  }

  /** With batch handlers, entries and due batches waiting for the consumer's limit start first come, first served. */
  private startReadyAndBatches(batches: BatchRunner): void {
    while (this.running < this.options.concurrency) {
      const collector = batches.oldestWaiting();
      const next = this.ready[0];
      if (collector !== undefined && (next === undefined || collector.oldestSince <= next.heldSince)) {
        batches.run(collector);
        continue;
      }
      if (next === undefined) return;
      this.ready.shift();
      if (next.subscription.running >= next.subscription.options.concurrency) next.subscription.waiting.push(next);
      else this.execute(next);
    }
  }

  /** What the batch runner may do here: it shares the slots, the running count and the parking of this dispatcher. */
  private batchHost(): BatchHost {
    return {
      hasRoom: (subscription) =>
        !this.control.stopping && subscription.running < subscription.options.concurrency && this.running < this.options.concurrency,
      handlerStarted: (subscription) => {
        subscription.running += 1;
        this.running += 1;
      },
      handlerEnded: (subscription) => this.handlerEnded(subscription),
      forget: (entry) => this.held.delete(entry),
      releaseSlots: (count) => this.slots.release(count),
      isPaused: (streamKey) => this.units.pause?.isPaused(streamKey) === true,
      park: (entries) => void this.parked.push(...entries),
    };
  }

  // ---------------------------------------------------------------- outcomes

  private succeeded(entry: HeldMessage): void {
    this.finish(entry);
    this.outcomes.succeeded(entry);
    this.releaseKey(entry.subscription, entry);
  }

  /** Its lease is gone: the entry does not start, and nothing else of its partition does (left pending for the next owner). */
  private abandon(entry: HeldMessage): void {
    this.held.delete(entry);
    this.slots.release();
    this.dropStream(entry.streamKey, entry);
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
    this.outcomes.skippedDuplicate(entry);
    this.releaseKey(entry.subscription, entry);
  }

  private failed(entry: HeldMessage, error: unknown): void {
    this.finish(entry);
    // A retry or a rate-limit hold keeps the key held back; a dead letter releases it.
    if (this.outcomes.failed(entry, error) === 'dead-lettered') this.releaseKey(entry.subscription, entry);
  }

  private subscriptionByKey(streamKey: string): Subscription {
    const name = this.keys.parseStream(levelBaseKey(streamKey));
    const subscription = name === undefined ? undefined : this.subscriptions.get(name);
    if (!subscription) throw new UnknownStreamKeyError(streamKey);
    return subscription;
  }
}
