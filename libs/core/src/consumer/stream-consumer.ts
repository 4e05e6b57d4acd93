/**
 * The consumer-group runner. One blocking XREADGROUP loop over every subscribed stream
 * on a dedicated connection; handlers run with bounded concurrency (reads never ask for
 * more entries than free slots); successes are acked in batches on a second connection.
 * The reliability units — retries, dead letters, reclaim, leases, dedupe, delayed
 * messages, retention, idle-consumer removal — are separate classes composed here.
 */
import { EventEmitter } from 'node:events';
import type { DecodedEnvelope } from '../envelope.js';
import { decodeEnvelope } from '../envelope.js';
import { checkServerSafety } from '../redis/server-safety.js';
import { HandlerTimeoutError, RedstreamError, UnrecoverableError } from '../errors/index.js';
import type { StreamKeys } from '../keys.js';
import { KeyBuilder } from '../keys.js';
import type { ClaimOptions, ConsumerOptions, HandlerOptions, ResolvedConsumerOptions, ResolvedHandlerOptions } from '../options.js';
import { resolveConsumerOptions, resolveHandlerOptions } from '../options.js';
import type { ConnectionStatus } from '../redis/connection.js';
import { RedisConnection, isErrorReply, reconnectDelay, type ConnectionOptions } from '../redis/connection.js';
import { StreamReader, type XReadReply } from './stream-reader.js';
import { Scripts } from '../redis/scripts.js';
import { validateStreamName } from '../producer/stream-producer.js';
import { AckBatcher } from './ack-batcher.js';
import { CompletionCheck } from './completion-check.js';
import { backoffDelay } from './backoff.js';
import { DeadLetterWriter } from './dead-letter.js';
import { DelayedPromoter } from './delayed-promoter.js';
import { GroupManager } from './group-manager.js';
import { HeldEntries, type HeldLink } from './held-entries.js';
import { IdleConsumerReaper } from './idle-consumer-reaper.js';
import type { HeldEntry } from './lease-keeper.js';
import { LeaseKeeper } from './lease-keeper.js';
import { PeriodicTask } from './periodic-task.js';
import type {
  ConsumerObserver,
  DeadLetterReason,
  HandlerMiddleware,
  MessageHandler,
  ReceivedMessage,
} from './received-message.js';
import { Reclaimer } from './reclaimer.js';
import { RetentionTrimmer } from './retention.js';
import { RetryScheduler } from './retry-scheduler.js';
import { Slots } from './slots.js';
import { loadMessageTracing } from '../tracing/message-tracing.js';

interface Subscription {
  readonly keys: StreamKeys;
  readonly handler: MessageHandler;
  readonly options: ResolvedHandlerOptions;
  handle: MessageHandler;
  running: number;
  /** Entries read (holding a slot) waiting for this handler's own concurrency limit. */
  readonly waiting: InFlight[];
}

class InFlight implements HeldEntry, HeldLink, ReceivedMessage {
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
  ) {}

  get streamKey(): string {
    return this.subscription.keys.stream;
  }
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
}

interface WaitingRetry extends HeldEntry {
  readonly dueAt: number;
  readonly subscription: Subscription;
}


export class StreamConsumer extends EventEmitter {
  readonly options: ResolvedConsumerOptions;
  readonly keys: KeyBuilder;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly middlewares: HandlerMiddleware[] = [];
  private readonly observers: ConsumerObserver[] = [];
  private observer: ConsumerObserver = {};
  /** Forwards to the observers added so far, for units created before all observers were. */
  private readonly relay: ConsumerObserver = {
    trimmed: (stream, count) => this.observer.trimmed?.(stream, count),
    unreadDropped: (stream, count) => this.observer.unreadDropped?.(stream, count),
  };
  private timed = false;

  private command!: RedisConnection;
  /** Blocking readers: one for all streams, or one per slot on a Redis Cluster. */
  private readers: StreamReader[] = [];
  private slots: Slots;
  private acks!: AckBatcher;
  private completion!: CompletionCheck;
  private deadLetters!: DeadLetterWriter;
  private groups!: GroupManager;
  private reclaimer: Reclaimer | undefined;
  private leases: LeaseKeeper | undefined;
  private readonly retries: RetryScheduler<WaitingRetry>;
  private readonly held = new HeldEntries<InFlight>();
  private readonly background = new Set<Promise<unknown>>();
  private readonly tasks: PeriodicTask[] = [];
  private reclaimTimer: NodeJS.Timeout | undefined;
  private reclaimDue = false;
  /** When the next reclaim pass is due (ms since epoch); a blocking read never waits past it. */
  private reclaimAt = Infinity;

  private loop: Promise<void> | undefined;
  private started = false;
  private stopping = false;
  private currentStatus: ConnectionStatus = 'disconnected';
  private errorStreak = 0;

  constructor(input: ConsumerOptions) {
    super();
    this.options = resolveConsumerOptions(input);
    this.keys = new KeyBuilder(this.options.prefix);
    this.slots = new Slots(this.options.concurrency);
    this.retries = new RetryScheduler<WaitingRetry>(() => this.wakeReader());
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get consumerName(): string {
    return this.options.consumer;
  }

  /**
   * Entries read and not yet finished (running or waiting for a handler slot). Not the
   * slots in use: a blocking read reserves every free slot while it waits.
   */
  get inFlight(): number {
    return this.held.size;
  }

  get streams(): string[] {
    return [...this.subscriptions.keys()];
  }

  subscribe(stream: string, handler: MessageHandler, options?: HandlerOptions): this {
    validateStreamName(stream);
    if (this.started) throw new RedstreamError('ERR_STARTED', `Cannot subscribe to "${stream}" after the consumer started.`);
    if (this.subscriptions.has(stream)) throw new RedstreamError('ERR_DUPLICATE_HANDLER', `Stream "${stream}" already has a handler.`);
    this.subscriptions.set(stream, {
      keys: this.keys.forStream(stream),
      handler,
      handle: handler,
      options: resolveHandlerOptions(this.options, stream, options),
      running: 0,
      waiting: [],
    });
    return this;
  }

  /** Adds a wrapper around every handler (tracing, logging). Before start(). */
  use(middleware: HandlerMiddleware): this {
    this.middlewares.push(middleware);
    return this;
  }

  addObserver(observer: ConsumerObserver): this {
    this.observers.push(observer);
    this.observer = combineObservers(this.observers);
    this.timed = this.observers.some((o) => o.handled !== undefined);
    return this;
  }

  /** The command connection (acks, scripts, admin reads), for sharing with a producer. */
  get connection(): RedisConnection {
    return this.command;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.subscriptions.size === 0) throw new RedstreamError('ERR_NO_HANDLERS', 'Subscribe at least one stream before start().');
    this.started = true;
    const o = this.options;
    const connection = { url: o.url, client: o.client, cluster: o.cluster, connectTimeoutMs: o.connectTimeoutMs };
    const keys = [...this.subscriptions.values()].map((s) => s.keys);
    const streamKeys = keys.map((k) => k.stream);
    try {
      this.command = await RedisConnection.open(connection, `redstream-${o.group}-${o.consumer}`);
    } catch (error) {
      this.started = false;
      throw error;
    }
    try {
      this.readers = await this.openReaders(connection, streamKeys);
    } catch (error) {
      await Promise.all(this.readers.map((reader) => reader.close()));
      await this.command.disconnect();
      this.started = false;
      throw error;
    }
    this.watchConnection(this.command);
    this.setStatus('connected');
    this.groups = new GroupManager(this.command, o.group, o.startFrom, o.logger, this.keys);
    try {
      await checkServerSafety(this.command, o.logger, o.requireNoEviction);
      await this.groups.ensure(streamKeys);
    } catch (error) {
      // Nothing runs yet: close what start() opened, so the process can exit and start() be retried.
      await Promise.all(this.readers.map((reader) => reader.close()));
      await this.command.disconnect();
      this.setStatus('disconnected');
      this.started = false;
      throw error;
    }

    // Outermost, so that user middlewares and the handler run inside the consumer span.
    const tracing = o.tracing ? await loadMessageTracing() : undefined;
    if (tracing?.enabled) this.middlewares.unshift(tracing.consume(o.group));
    for (const subscription of this.subscriptions.values()) {
      subscription.handle = this.compose(subscription.handler);
    }
    this.acks = new AckBatcher(
      this.command,
      o.group,
      { ...o.ack, completedTtlMs: o.dedupe ? o.dedupe.ttlMs : 1 },
      (error) => this.reportError('ack', error),
    );
    this.completion = new CompletionCheck(this.command);
    this.deadLetters = new DeadLetterWriter(this.command, o.group, o.consumer, o.deadLetter.maxLen);

    if (o.claim) {
      this.reclaimer = new Reclaimer(this.command, o.group, o.consumer, o.claim.minIdleMs);
      // Entries waiting for a retry stay pending on this consumer too: their backoff may
      // be longer than minIdleMs, and another consumer must not take them early.
      this.leases = new LeaseKeeper(this.command, o.group, o.consumer, o.claim.minIdleMs, () => [...this.held, ...this.retries.entries()], (error) =>
        this.reportError('lease refresh', error),
      );
      this.leases.start();
      this.reclaimDue = true;
    }
    const onTaskError = (job: string, error: Error) => this.reportError(job, error);
    if (o.delayed) this.tasks.push(new PeriodicTask(new DelayedPromoter(this.command, keys, o.delayed.intervalMs, o.delayed.batchSize), onTaskError));
    if (o.retention) {
      this.tasks.push(
        new PeriodicTask(new RetentionTrimmer(this.command, keys, o.retention, o.consumer, this.relay, o.logger), onTaskError),
      );
    }
    if (o.idleConsumers) {
      this.tasks.push(new PeriodicTask(new IdleConsumerReaper(this.command, keys, o.group, o.consumer, o.idleConsumers), onTaskError));
    }
    for (const task of this.tasks) task.start(true);

    this.loop = this.run();
  }

  /**
   * Graceful shutdown (DESIGN.md, delivery semantics 7): stop reading, wait for handlers
   * up to `shutdownTimeoutMs`, ack what finished, leave the rest pending for others to
   * reclaim, leave the group when nothing is pending, close connections.
   */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return this.stopped;
    this.stopping = true;
    this.stopped = this.shutdown();
    return this.stopped;
  }
  private stopped: Promise<void> = Promise.resolve();

  private async shutdown(): Promise<void> {
    const o = this.options;
    clearTimeout(this.reclaimTimer);
    // Waiting retries stay pending on this consumer for others to reclaim; it must not leave the group then.
    const retriesLeft = this.retries.clear().length;
    this.slots.interrupt();
    this.wakeReader();
    const deadline = Date.now() + o.shutdownTimeoutMs;
    // Bounded: with Redis down a job's command waits in the client's offline queue.
    await withTimeout(Promise.all(this.tasks.map((task) => task.stop())), remaining(deadline));
    await withTimeout(this.loop ?? Promise.resolve(), remaining(deadline));
    const idle = await withTimeout(this.slots.whenIdle().then(() => true), remaining(deadline), false);
    if (!idle) o.logger.warn(`shutdown timeout (${o.shutdownTimeoutMs} ms): ${this.slots.inUse} entries left pending for other consumers to reclaim`);
    await withTimeout(Promise.allSettled([...this.background]), Math.max(1_000, remaining(deadline)));
    await withTimeout(this.acks.drain(), Math.max(2_000, remaining(deadline)));
    this.acks.close();
    this.leases?.stop();
    if (idle && retriesLeft === 0) {
      await withTimeout(this.leaveGroup().catch((error) => this.reportError('leave group', error)), Math.max(1_000, remaining(deadline)));
    }
    await Promise.all(this.readers.map((reader) => reader.close()));
    await this.command.close();
    this.setStatus('disconnected');
  }

  /** Removes this consumer from the group on each stream where it owns no pending entry. */
  private async leaveGroup(): Promise<void> {
    await Promise.all(
      [...this.subscriptions.values()].map((s) =>
        Scripts.removeConsumerIfIdle.run(this.command, [s.keys.stream], [this.options.group, this.options.consumer, 0]),
      ),
    );
  }

  private compose(handler: MessageHandler): MessageHandler {
    return this.middlewares.reduceRight<MessageHandler>(
      (next, middleware) => (message) => middleware(message, async () => next(message)),
      handler,
    );
  }

  // ---------------------------------------------------------------- read loop

  /**
   * A standalone Redis has one reader for every stream; a cluster has one per slot, each
   * in its own loop. The first loop also serves retries, reclaims and own pending entries.
   */
  private async openReaders(connection: ConnectionOptions, streamKeys: string[]): Promise<StreamReader[]> {
    const name = `redstream-${this.options.group}-${this.options.consumer}-reader`;
    const onStatus = (status: ConnectionStatus) => this.setStatus(status);
    const onError = (error: Error) => this.reportError(`connection ${name}`, error);
    const command = this.command;
    if (!command.isCluster) {
      const reader = await RedisConnection.open(connection, name);
      return [new StreamReader(streamKeys, { reader, control: command, ownsControl: false }, undefined, onStatus, onError)];
    }
    const bySlot = new Map<number, string[]>();
    for (const key of streamKeys) {
      const slot = RedisConnection.slotOf(key);
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), key]);
    }
    const readers: StreamReader[] = [];
    for (const keys of bySlot.values()) {
      const open = async () => {
        const node = command.endpointOf(keys[0]);
        const reader = await command.openNode(node, name);
        return { reader, control: await command.openNode(node, `${name}-control`), ownsControl: true };
      };
      readers.push(new StreamReader(keys, await open(), open, onStatus, onError));
    }
    return readers;
  }

  private async run(): Promise<void> {
    const [first, ...others] = this.readers;
    await Promise.all([this.runLane(first, true), ...others.map((reader) => this.runLane(reader, false))]);
  }

  /**
   * One reader's loop; the first also serves own pending entries, retries and reclaims.
   * While the consumer is behind, the entries of one read go to their handlers only once
   * the next read is on its way (readNew), so Redis serves that read while the handlers
   * run instead of after them.
   */
  private async runLane(reader: StreamReader, first: boolean): Promise<void> {
    let rereadOwn = first;
    let readAhead: XReadReply = null;
    while (!this.stopping) {
      try {
        if (rereadOwn) {
          await this.rereadOwnPending();
          rereadOwn = false;
        }
        if (first && (this.retries.hasDue || this.reclaimDue)) {
          readAhead = this.dispatchRead(readAhead);
          if (this.retries.hasDue) await this.serviceRetries();
          if (this.reclaimDue) await this.serviceReclaim();
        }
        if (this.slots.available === 0) {
          // Handlers that finish at once free their slots while being handed over.
          readAhead = this.dispatchRead(readAhead);
          if (this.slots.available === 0) await this.slots.nextChange();
          continue;
        }
        const previous = readAhead;
        // Cleared first: a read that fails has handed `previous` over all the same.
        readAhead = null;
        readAhead = await this.readNew(reader, first, previous);
        this.readSucceeded();
      } catch (error) {
        if (this.stopping) break;
        await this.recoverRead(reader, error);
      }
    }
    // Read before the stop: handled like entries that were already running.
    this.dispatchRead(readAhead);
  }

  private readSucceeded(): void {
    if (this.errorStreak === 0) return;
    this.options.logger.log(`consuming again after ${this.errorStreak} failed attempts`);
    this.errorStreak = 0;
  }

  private async recoverRead(reader: StreamReader, error: unknown): Promise<void> {
    if (isErrorReply(error, 'NOGROUP')) {
      const created = await this.groups.recover(reader.streamKeys).catch((e: Error) => {
        this.reportError('group re-create', e);
        return [];
      });
      // Re-created: read again at once. Not re-created (the group exists, yet the read
      // says NOGROUP): back off like any other error rather than spin.
      if (created.length > 0) return;
    }
    this.errorStreak += 1;
    this.reportError('read', error as Error);
    if (reader.mustRelocate(error)) {
      await reader.relocate().catch((e) => this.reportError('reader relocation', e));
    }
    await this.pause(reconnectDelay(this.errorStreak));
  }

  /** Sends the next read and hands `previous` to the handlers meanwhile; returns a full read to hand over later. */
  private async readNew(reader: StreamReader, first: boolean, previous: XReadReply): Promise<XReadReply> {
    // Several readers share the slots; none may hold them all while it blocks.
    const share = this.readers.length > 1 ? Math.max(1, Math.floor(this.options.concurrency / this.readers.length)) : this.options.readCount;
    const count = this.slots.take(Math.min(this.options.readCount, share, this.slots.available));
    let received = 0;
    try {
      const read = reader.read(
        this.options.group,
        this.options.consumer,
        count,
        first ? this.blockTime() : this.options.blockMs,
        () => !(this.stopping || (first && (this.retries.hasDue || this.reclaimDue))),
      );
      // node-redis writes commands to the socket in a setImmediate: handing the previous
      // entries over after it lets Redis serve this read while their handlers run.
      if (previous !== null) setImmediate(() => this.dispatchRead(previous));
      const reply = await read;
      if (reply !== null) for (const [, entries] of reply) received += entries.length;
      // A full read means more is waiting: keep it until the next read is sent. A short
      // one means the consumer has caught up: no reason to make it wait.
      return received < count ? this.dispatchRead(reply) : reply;
    } finally {
      this.slots.release(count - received);
    }
  }

  /** Hands every entry of a read (which already hold their slots) to its handler; returns null. */
  private dispatchRead(reply: XReadReply): null {
    if (reply === null) return null;
    for (const [streamKey, entries] of reply) {
      const subscription = this.subscriptionByKey(streamKey);
      for (const [entryId, fields] of entries) this.accept(subscription, entryId, fields, 1);
    }
    return null;
  }

  /**
   * A read blocks no longer than until the next retry or reclaim pass is due, so a due
   * retry never waits for a whole blockMs when a CLIENT UNBLOCK reached Redis before the
   * read it was meant to interrupt.
   */
  private blockTime(): number {
    const next = Math.min(this.retries.nextDueAt, this.reclaimAt);
    return Math.max(1, Math.min(this.options.blockMs, Math.ceil(next - Date.now())));
  }

  /** Interrupts a blocking read so the loop can serve retries, reclaims or shutdown now. */
  private wakeReader(): void {
    for (const reader of this.readers) reader.unblock();
  }

  /**
   * On start, entries this consumer name still owns from a previous life (a restart in
   * the same pod keeps the name) are taken back before anything new is read.
   */
  private async rereadOwnPending(): Promise<void> {
    for (const subscription of this.subscriptions.values()) {
      let after = '-';
      for (;;) {
        const count = this.slots.take(this.options.readCount);
        if (count === 0) {
          await this.slots.nextChange();
          if (this.stopping) return;
          continue;
        }
        let accepted = 0;
        let rows: [string, string, number, number][];
        try {
          rows = await this.command.send<[string, string, number, number][]>([
            'XPENDING', subscription.keys.stream, this.options.group, 'IDLE', '0', after, '+', String(count), this.options.consumer,
          ]);
          if (rows.length === 0) break;
          after = `(${rows[rows.length - 1][0]}`;
          // MIN-IDLE-TIME: an entry another consumer reclaimed in between has a fresh idle time and is left alone.
          const minIdle = Math.min(...rows.map((row) => row[2]));
          const claimed = await this.command.send<[string, string[] | null][]>([
            'XCLAIM', subscription.keys.stream, this.options.group, this.options.consumer, String(minIdle), ...rows.map((row) => row[0]),
          ]);
          const counts = new Map(rows.map((row) => [row[0], row[3]]));
          accepted = claimed.length;
          for (const [entryId, fields] of claimed) this.accept(subscription, entryId, fields, (counts.get(entryId) ?? 0) + 1);
        } finally {
          // A failed XPENDING or XCLAIM must not keep the slots it took: the consumer would stall.
          this.slots.release(count - accepted);
        }
        if (rows.length < count) break;
      }
    }
  }

  private async serviceRetries(): Promise<void> {
    const due = this.retries.takeDue(this.slots.available);
    if (due.length === 0) return;
    this.slots.take(due.length);
    await Promise.all(
      due.map(async (retry) => {
        let accepted = false;
        try {
          const reply = await Scripts.claimOwn.run<[number, string[] | null] | null>(
            this.command,
            [retry.streamKey],
            [this.options.group, this.options.consumer, retry.entryId],
          );
          if (reply === null) return;
          const [deliveries, fields] = reply;
          accepted = true;
          this.accept(retry.subscription, retry.entryId, fields, deliveries);
        } catch (error) {
          // Still pending on this consumer: the reclaimer will deliver it again.
          this.reportError('retry', error as Error);
        } finally {
          if (!accepted) this.slots.release();
        }
      }),
    );
  }

  /**
   * One pass of XAUTOCLAIM over every stream, taking at most the free handler slots. When
   * the slots run out mid-pass the pass stays due and resumes at its cursor as soon as a
   * slot frees up: reclaimed (older) entries go before new reads, and a busy consumer
   * cannot postpone reclaiming by a whole interval.
   */
  private async serviceReclaim(): Promise<void> {
    const reclaimer = this.reclaimer;
    const claim = this.options.claim;
    if (!reclaimer || !claim) return;
    for (const subscription of this.subscriptions.values()) {
      const stream = subscription.keys.stream;
      do {
        const count = this.slots.take(claim.count);
        if (count === 0) return;
        let accepted = 0;
        try {
          const { entries, deletedIds } = await reclaimer.claim(stream, count);
          if (deletedIds.length > 0) {
            this.observer.deletedOnClaim?.(subscription.keys.name, deletedIds.length);
            this.options.logger.warn(`acked ${deletedIds.length} pending entries of "${subscription.keys.name}" that were deleted from the stream`);
          }
          if (entries.length > 0) this.observer.reclaimed?.(subscription.keys.name, entries.length);
          const running = entries.length > 0 ? this.heldIds(stream) : undefined;
          for (const entry of entries) {
            this.retries.remove(stream, entry.entryId);
            // Our own handler still runs it (its lease lapsed, e.g. the event loop stalled):
            // taking the entry back is enough, running it twice here is not.
            if (running!.has(entry.entryId)) continue;
            accepted += 1;
            this.accept(subscription, entry.entryId, entry.fields, entry.deliveryCount);
          }
        } finally {
          this.slots.release(count - accepted);
        }
      } while (!reclaimer.passComplete(stream) && !this.stopping);
    }
    this.reclaimDue = false;
    this.scheduleReclaim(await this.nextReclaimDelay(reclaimer, claim));
  }

  /**
   * Every `claim.intervalMs`, or sooner when a silent consumer's entries become claimable
   * earlier (never more often than a fifth of the interval).
   */
  private async nextReclaimDelay(reclaimer: Reclaimer, claim: Required<ClaimOptions>): Promise<number> {
    let soonest = Infinity;
    for (const subscription of this.subscriptions.values()) {
      soonest = Math.min(soonest, await reclaimer.nextClaimableInMs(subscription.keys.stream).catch(() => Infinity));
    }
    const margin = 20;
    return Math.min(claim.intervalMs, Math.max(Math.ceil(claim.intervalMs / 5), soonest + margin));
  }

  private scheduleReclaim(delayMs: number): void {
    clearTimeout(this.reclaimTimer);
    if (this.stopping) return;
    this.reclaimAt = Date.now() + delayMs;
    this.reclaimTimer = setTimeout(() => {
      this.reclaimAt = Infinity;
      this.reclaimDue = true;
      this.wakeReader();
    }, delayMs);
    this.reclaimTimer.unref();
  }

  private heldIds(streamKey: string): Set<string> {
    const ids = new Set<string>();
    for (const entry of this.held) if (entry.streamKey === streamKey) ids.add(entry.entryId);
    return ids;
  }

  // ---------------------------------------------------------------- dispatch

  /** Takes one entry that already holds a slot: decode, dedupe check, then the handler. */
  private accept(subscription: Subscription, entryId: string, fields: string[] | null, deliveryCount: number): void {
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
      this.deadLetter(subscription, entryId, fields, deliveryCount, 'decode-error', error);
      return;
    }
    const maxDeliveries = subscription.options.maxDeliveries;
    if (deliveryCount > maxDeliveries) {
      // Delivered again and again without ever failing cleanly: its handler crashes or
      // hangs the worker (OOM, infinite loop). Running it once more would only repeat that.
      this.slots.release();
      const error = new RedstreamError(
        'ERR_MAX_DELIVERIES',
        `entry ${entryId} was delivered ${deliveryCount} times (maxDeliveries ${maxDeliveries}) without being acknowledged; its handler never finished (worker crashed or was killed each time)`,
      );
      this.deadLetter(subscription, entryId, fields, deliveryCount, 'max-deliveries', error);
      return;
    }
    const entry = new InFlight(subscription, entryId, fields, deliveryCount, envelope);
    this.held.add(entry);
    const dedupe = this.options.dedupe;
    if (dedupe && envelope.idempotencyKey !== undefined) {
      const mark = subscription.keys.completed(this.options.group, envelope.idempotencyKey);
      this.completion.isCompleted(subscription.keys.stream, mark).then(
        (completed) => (completed ? this.skipDuplicate(entry) : this.schedule(entry)),
        () => this.schedule(entry),
      );
      return;
    }
    this.schedule(entry);
  }

  private schedule(entry: InFlight): void {
    const subscription = entry.subscription;
    if (subscription.running >= subscription.options.concurrency) {
      subscription.waiting.push(entry);
      return;
    }
    this.execute(entry);
  }

  private execute(entry: InFlight): void {
    const subscription = entry.subscription;
    subscription.running += 1;
    if (this.timed) entry.startedAt = performance.now();
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
  private settleWithTimeout(entry: InFlight, result: Promise<unknown>, timeoutMs: number): void {
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

  private finish(entry: InFlight): void {
    this.held.delete(entry);
    this.releaseSlot(entry.subscription);
  }

  private releaseSlot(subscription: Subscription): void {
    subscription.running -= 1;
    this.slots.release();
    if (this.stopping) {
      // Not started yet: left pending for another consumer rather than run during shutdown.
      for (const waiting of subscription.waiting.splice(0)) {
        this.held.delete(waiting);
        this.slots.release();
      }
      return;
    }
    if (subscription.waiting.length > 0 && subscription.running < subscription.options.concurrency) {
      this.execute(subscription.waiting.shift()!);
    }
  }

  private succeeded(entry: InFlight): void {
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
    if (this.timed) this.observer.handled!(entry.stream, 'success', performance.now() - entry.startedAt);
  }

  private skipDuplicate(entry: InFlight): void {
    this.held.delete(entry);
    this.slots.release();
    this.acks.ack(entry.streamKey, entry.entryId);
    this.observer.handled?.(entry.stream, 'skipped-duplicate', 0);
  }

  private failed(entry: InFlight, error: unknown): void {
    this.finish(entry);
    this.afterFailure(entry, error);
  }

  /** Dead-letters the entry, or schedules its retry after the backoff. */
  private afterFailure(entry: InFlight, error: unknown): void {
    const subscription = entry.subscription;
    const durationMs = this.timed ? performance.now() - entry.startedAt : 0;
    const unrecoverable = error instanceof UnrecoverableError || this.isUnrecoverable(error);
    if (unrecoverable || entry.deliveryCount >= subscription.options.maxDeliveries) {
      const reason: DeadLetterReason = unrecoverable ? 'unrecoverable' : error instanceof HandlerTimeoutError ? 'timeout' : 'max-deliveries';
      this.deadLetter(subscription, entry.entryId, entry.fields, entry.deliveryCount, reason, error, durationMs);
      return;
    }
    this.observer.handled?.(entry.stream, 'retried', durationMs);
    if (this.stopping) return; // left pending: another consumer reclaims it
    const delay = backoffDelay(entry.deliveryCount, subscription.options.backoff);
    this.retries.schedule({
      streamKey: entry.streamKey, entryId: entry.entryId, dueAt: Date.now() + delay, subscription, heldSince: entry.heldSince, lost: false,
    });
  }

  private isUnrecoverable(error: unknown): boolean {
    try {
      return this.options.isUnrecoverable(error);
    } catch {
      return false;
    }
  }

  private deadLetter(
    subscription: Subscription,
    entryId: string,
    fields: readonly string[],
    deliveries: number,
    reason: DeadLetterReason,
    error: unknown,
    durationMs = 0,
  ): void {
    if (reason === 'decode-error') {
      this.options.logger.warn(`dead-lettering undecodable entry ${entryId} of "${subscription.keys.name}": ${(error as Error).message}`);
    }
    const write = this.deadLetters
      .write({ streamKey: subscription.keys.stream, deadLetterKey: subscription.keys.deadLetter, entryId, fields, deliveries, reason, error })
      .then(({ moved, dropped }) => {
        // Counted once it is in the dead-letter stream: a write that failed (the entry is
        // dead-lettered again later) or found the entry taken over is not an outcome here.
        if (moved) this.observer.handled?.(subscription.keys.name, 'dead-lettered', durationMs);
        if (dropped > 0) this.observer.deadLetterDropped?.(subscription.keys.name, dropped);
      })
      // Not written: the entry stays pending and is reclaimed and dead-lettered again later.
      .catch((e: Error) => this.reportError('dead-letter', e));
    this.background.add(write);
    void write.finally(() => this.background.delete(write));
  }

  // ---------------------------------------------------------------- helpers

  private subscriptionByKey(streamKey: string): Subscription {
    const name = this.keys.parseStream(streamKey);
    const subscription = name === undefined ? undefined : this.subscriptions.get(name);
    if (!subscription) throw new RedstreamError('ERR_UNKNOWN_STREAM', `XREADGROUP returned entries of unexpected stream ${streamKey}`);
    return subscription;
  }

  private watchConnection(connection: RedisConnection): void {
    connection.on('connection-error', (error: Error) => this.reportError(`connection ${connection.name}`, error));
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.observer.statusChanged?.(status);
    this.emit('status', status);
  }

  private lastErrorLog = new Map<string, number>();

  /** Logs errors at most once per 5 s per source, so an outage does not flood the log. */
  private reportError(source: string, error: Error): void {
    this.emit('consumer-error', error, source);
    const now = Date.now();
    if (now - (this.lastErrorLog.get(source) ?? 0) < 5_000) return;
    this.lastErrorLog.set(source, now);
    this.options.logger.error(`${source} failed: ${error?.message ?? error}`);
  }

  private pause(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.slots.nextChange()]);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, fallback?: T): Promise<T | undefined> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<T | undefined>((resolve) => {
      timer = setTimeout(() => resolve(fallback), Math.max(0, ms));
    }),
  ]).finally(() => clearTimeout(timer));
}

function remaining(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

function combineObservers(observers: ConsumerObserver[]): ConsumerObserver {
  const combined: ConsumerObserver = {};
  const names = ['handled', 'reclaimed', 'deletedOnClaim', 'trimmed', 'deadLetterDropped', 'unreadDropped', 'statusChanged'] as const;
  for (const name of names) {
    const listeners = observers.map((o) => o[name]?.bind(o)).filter((f): f is (...args: never[]) => void => f !== undefined);
    if (listeners.length === 0) continue;
    (combined as Record<string, unknown>)[name] = (...args: unknown[]) => {
      for (const listener of listeners) (listener as (...a: unknown[]) => void)(...args);
    };
  }
  return combined;
}

