/**
 * The consumer-group runner: its public API, and the wiring of the units that do the
 * work. Follow a message through the imports, one way down:
 *
 *   ReadLoop (read-loop.ts)      blocking XREADGROUP per reader, read-ahead; between
 *     │                          reads: OwnEntries (own pending, due retries), Reclaimer
 *     ▼
 *   Dispatcher (dispatcher.ts)   decode, dedupe check, run the handler with bounded
 *     │                          concurrency, timeout; owns the held slots (prefetch);
 *     │                          batch handlers' batches: BatchRunner (batch-runner.ts)
 *     ▼
 *   EntryOutcomes → AckBatcher / RetryScheduler / DeadLetterWriter     the outcome of each entry
 *
 * Before them, start() opens connections, readers and groups (consumer-startup.ts).
 * Beside them: LeaseKeeper (running entries keep their leases), PeriodicTasks (delayed
 * promotion, retention, idle-consumer removal), PauseControl, RateLimiter and
 * PriorityLevels (queue controls), ObserverHub (metrics), ErrorReporter.
 */
import { EventEmitter } from 'node:events';
import { SHUTDOWN_MIN_MS } from '../constants.js';
import { remainingMs, withDeadline } from '../deadline.js';
import { ConsumerSetupError } from '../errors/index.js';
import { KeyBuilder, type StreamKeys } from '../keys.js';
import type { BatchOptions, ConsumerOptions, HandlerOptions, ResolvedConsumerOptions } from '../options.js';
import { resolveConsumerOptions, resolveHandlerOptions } from '../options.js';
import type { ConnectionStatus, RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import { validateStreamName } from '../validation.js';
import { loadMessageTracing } from '../tracing/message-tracing.js';
import { AckBatcher } from './ack-batcher.js';
import { openConsumer, type OpenedConsumer } from './consumer-startup.js';
import { CompletionCheck } from './completion-check.js';
import { CompletionMarks } from './completion-marks.js';
import { DeadLetterOutcome } from './dead-letter-outcome.js';
import { DeadLetterWriter } from './dead-letter.js';
import { DelayedPromoter } from './delayed-promoter.js';
import { Dispatcher } from './dispatcher.js';
import { ErrorReporter } from './error-reporter.js';
import { GroupManager } from './group-manager.js';
import { batchOnly } from './batch-runner.js';
import { handBackUnstarted } from './hand-back.js';
import { composeHandler, type HeldMessage, type Subscription, type WaitingRetry } from './held-message.js';
import { IdleConsumerReaper } from './idle-consumer-reaper.js';
import { LeaseKeeper } from './lease-keeper.js';
import { ObserverHub } from './observer-hub.js';
import type { LifecycleEventWriter } from '../lifecycle/lifecycle-events.js';
import { wireLifecycle } from '../lifecycle/lifecycle-wiring.js';
import { OptionalSteps } from './optional-steps.js';
import { OwnEntries } from './own-entries.js';
import { PauseControl } from './pause-control.js';
import { PriorityLevels } from './priority-levels.js';
import { RateLimiter } from './rate-limiter.js';
import { PeriodicTask } from './periodic-task.js';
import { ReadLoop } from './read-loop.js';
import type { BatchHandler, ConsumerObserver, HandlerMiddleware, MessageHandler } from './received-message.js';
import { Reclaimer } from './reclaimer.js';
import { RetentionTrimmer } from './retention.js';
import { RetryScheduler } from './retry-scheduler.js';
import { RunControl } from './run-control.js';
import type { StreamReader } from './stream-reader.js';
import { OrderedLanes } from '../ordered/ordered-lanes.js';
import { PartitionOwnership } from '../ordered/partition-ownership.js';
import { PartitionGrowth } from '../partitions/partition-growth.js';
import type { PartitionMap } from '../partitions/partition-map.js';
import type { PartitionSources } from '../partitions/partition-sources.js';

export class StreamConsumer extends EventEmitter {
  readonly options: ResolvedConsumerOptions;
  readonly keys: KeyBuilder;
  /** The sources read, by stream name: a partitioned stream's partitions (`name#i`) replace it at start. */
  private readonly subscriptions = new Map<string, Subscription>();
  private partitions: PartitionMap | undefined;
  private sources: PartitionSources | undefined;
  private growth: PartitionGrowth | undefined;
  private readonly middlewares: HandlerMiddleware[] = [];
  private readonly observers = new ObserverHub();
  private events: LifecycleEventWriter | undefined;
  /** Reclaim and the re-read of own pending entries go on without their permissions (logged once, counted). */
  private readonly optional = new OptionalSteps({ warn: (message) => this.options.logger.warn(message) }, () => this.observers.current);
  private readonly errors: ErrorReporter;
  private readonly control = new RunControl();
  private readonly retries: RetryScheduler<WaitingRetry>;

  private command!: RedisConnection;
  /** Blocking readers: one for all streams, or one per slot on a Redis Cluster. */
  private readers: StreamReader[] = [];
  private acks: AckBatcher | undefined;
  private dispatcher: Dispatcher | undefined;
  private reclaimer: Reclaimer | undefined;
  private leases: LeaseKeeper | undefined;
  private pause: PauseControl | undefined;
  private levels: PriorityLevels | undefined;
  /** Ordered subscriptions: which partitions this consumer owns (ordered/partition-ownership.ts). */
  private ownership: PartitionOwnership | undefined;
  private readonly tasks: PeriodicTask[] = [];

  private loop: Promise<void> | undefined;
  private started = false;
  private stopped: Promise<void> = Promise.resolve();
  private currentStatus: ConnectionStatus = 'disconnected';

  constructor(input: ConsumerOptions) {
    super();
    this.options = resolveConsumerOptions(input);
    this.keys = new KeyBuilder(this.options.prefix);
    this.errors = new ErrorReporter(this.options.logger, (error, source) => this.emit('consumer-error', error, source));
    this.retries = new RetryScheduler<WaitingRetry>(() => this.control.wake());
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
    return this.dispatcher?.heldCount ?? 0;
  }

  /** The subscribed streams (a partitioned stream once, by its own name). */
  get streams(): string[] {
    return [...new Set([...this.subscriptions.entries()].map(([name, s]) => s.partition?.name ?? name))];
  }

  /**
   * The handler of a stream: called with one message, or, with `options.batch`, with an array
   * of up to `batch.maxSize` messages (a BatchHandler).
   */
  subscribe(stream: string, handler: BatchHandler, options: HandlerOptions & { batch: BatchOptions }): this;
  subscribe(stream: string, handler: MessageHandler, options?: HandlerOptions): this;
  subscribe(stream: string, handler: MessageHandler | BatchHandler, options?: HandlerOptions): this {
    validateStreamName(stream);
    if (this.started) throw new ConsumerSetupError('ERR_STARTED', `Cannot subscribe to "${stream}" after the consumer started.`);
    if (this.subscriptions.has(stream)) throw new ConsumerSetupError('ERR_DUPLICATE_HANDLER', `Stream "${stream}" already has a handler.`);
    const resolved = resolveHandlerOptions(this.options, stream, options);
    const single = resolved.batch === undefined ? (handler as MessageHandler) : batchOnly(stream);
    this.subscriptions.set(stream, {
      keys: this.keys.forStream(stream),
      streamKeys: [this.keys.stream(stream)],
      handler: single,
      handle: single,
      batchHandler: resolved.batch === undefined ? undefined : (handler as BatchHandler),
      options: resolved,
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
    this.observers.add(observer);
    return this;
  }

  /** The command connection (acks, scripts, admin reads), for sharing with a producer. */
  get connection(): RedisConnection {
    return this.command;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.subscriptions.size === 0) throw new ConsumerSetupError('ERR_NO_HANDLERS', 'Subscribe at least one stream before start().');
    this.started = true;
    const o = this.options;
    let opened: OpenedConsumer;
    try {
      opened = await openConsumer(o, this.keys, this.subscriptions, {
        report: (source, error) => this.errors.report(source, error),
        setStatus: (status) => this.setStatus(status),
      });
    } catch (error) {
      this.started = false;
      throw error;
    }
    const { groups, openReaders } = opened;
    ({ command: this.command, partitions: this.partitions, sources: this.sources, readers: this.readers } = opened);
    this.control.attach(this.readers);
    const keys = [...this.subscriptions.values()].map((s) => s.keys);

    // Outermost, so that user middlewares and the handler run inside the consumer span.
    const tracing = o.tracing ? await loadMessageTracing() : undefined;
    if (tracing?.enabled) this.middlewares.unshift(tracing.consume(o.group));
    for (const subscription of this.subscriptions.values()) {
      subscription.handle = composeHandler(this.middlewares, subscription.handler);
      // Middlewares wrap one message; a batch gets the tracing span alone.
      const batchHandler = subscription.batchHandler;
      if (batchHandler) subscription.handleBatch = tracing?.enabled ? tracing.consumeBatch(o.group, batchHandler) : batchHandler;
    }

    const report = (source: string) => (error: Error) => this.errors.report(source, error);
    this.events = wireLifecycle(this.command, this.keys, o, this.subscriptions.values(), this.observers, report);
    const marks = o.dedupe ? new CompletionMarks(o.group, o.dedupe.ttlMs, o.dedupe.legacyMarks) : undefined;
    this.acks = new AckBatcher(this.command, o.group, { ...o.ack, marks }, report('ack'));
    const wake = () => (this.control.wake(), this.dispatcher?.startParked());
    const pause = (this.pause = await PauseControl.open(this.command, keys, o.group, this.readers, wake, this.errors));
    const orderedSubscriptions = [...this.subscriptions.values()].filter((s) => s.options.ordered);
    const ordered = orderedSubscriptions.length > 0 ? new OrderedLanes<HeldMessage>() : undefined;
    const dispatcher = (this.dispatcher = new Dispatcher(o, this.keys, this.subscriptions, {
      acks: this.acks,
      completion: marks && new CompletionCheck(this.command, marks),
      deadLetters: new DeadLetterOutcome(new DeadLetterWriter(this.command, o.group, o.consumer, o.deadLetter.maxLen), this.observers, this.errors, o.logger),
      retries: this.retries,
      observers: this.observers,
      errors: this.errors,
      control: this.control,
      pause,
      ordered,
    }));
    // Before the first read and the first periodic task: both see the levels in use.
    const levelKeys = [...keys];
    this.levels = await PriorityLevels.open(this.command, [...this.subscriptions.values()], o, levelKeys, this.readers, () => this.control.wake(), this.errors);
    if (ordered && o.claim) this.ownership = this.startOwnership(ordered, orderedSubscriptions, o.claim);
    const ownership = this.ownership;
    RateLimiter.attach(this.readers, this.command, [...this.subscriptions.values()], o.group, this.observers, this.errors);
    if (o.claim) {
      // Ordered partitions are claimed by their owner only, when it takes the lease (partition-ownership.ts).
      const skipped = (key: string) => pause.isPaused(key) || ownership?.isOrdered(key) === true;
      this.reclaimer = new Reclaimer(this.command, o.group, o.consumer, o.claim, this.control, this.optional, skipped);
      // Entries waiting for a retry stay pending on this consumer too: their backoff may
      // be longer than minIdleMs, and another consumer must not take them early.
      const held = () => [...dispatcher.heldEntries(), ...this.retries.entries()];
      this.leases = new LeaseKeeper(this.command, o.group, o.consumer, o.claim.minIdleMs, held, report('lease refresh'));
      this.leases.start();
      this.reclaimer.start();
    }
    const onTaskError = (job: string, error: Error) => this.errors.report(job, error);
    if (o.delayed) this.tasks.push(new PeriodicTask(new DelayedPromoter(this.command, levelKeys, o.delayed.intervalMs, o.delayed.batchSize), onTaskError));
    if (o.retention) this.tasks.push(new PeriodicTask(new RetentionTrimmer(this.command, levelKeys, o.retention, o.consumer, this.observers.relay, o.logger), onTaskError));
    if (o.idleConsumers) this.tasks.push(new PeriodicTask(new IdleConsumerReaper(this.command, levelKeys, o.group, o.consumer, o.idleConsumers), onTaskError));
    for (const task of this.tasks) task.start(true);
    const unordered = new Map([...this.subscriptions].filter(([, s]) => !s.options.ordered));
    const ownEntries = new OwnEntries(this.command, o, unordered, dispatcher, this.retries, this.errors, this.control, this.optional);
    const reclaimTargets = { subscriptions: this.subscriptions, dispatcher, retries: this.retries, observers: this.observers, logger: o.logger };
    const readLoop = new ReadLoop(this.readers, o, {
      dispatcher, ownEntries, retries: this.retries, reclaimer: this.reclaimer, reclaimTargets, groups, errors: this.errors, control: this.control, pause,
    });
    this.loop = readLoop.run();
    this.followGrowth(keys, openReaders, readLoop);
  }

  /** New partitions of a subscribed stream (growth while running) are read without a restart (partition-growth.ts). */
  private followGrowth(sourceKeys: StreamKeys[], openReaders: (streamKeys: readonly string[]) => Promise<StreamReader[]>, readLoop: ReadLoop): void {
    const o = this.options;
    const pause = this.pause!;
    const growth = (this.growth = new PartitionGrowth({
      sources: this.sources!,
      groups: new GroupManager(this.command, o.group, '0', o.logger, this.keys),
      sourceKeys,
      readers: this.readers,
      openReaders,
      attach: async (readers, added) => {
        for (const reader of readers) reader.activeKeys = (streamKeys) => pause.activeKeys(streamKeys);
        this.ownership?.attach(readers, added);
        RateLimiter.attach(readers, this.command, [...this.subscriptions.values()], o.group, this.observers, this.errors);
        await pause.track(added.map((s) => s.keys), o.group);
      },
      startReading: (readers) => readLoop.addReaders(readers),
      stopping: () => this.control.stopping,
      log: (message) => o.logger.log(message),
    }));
    growth.follow(this.partitions!, (source, error) => this.errors.report(source, error));
  }

  /** Partitions this consumer owns now in its ordered subscriptions (stream keys). */
  get ownedPartitions(): string[] {
    return this.ownership?.ownedStreams() ?? [];
  }

  /** Ordered partitions are taken by their owner only, with fenced reads (ordered/partition-ownership.ts). */
  private startOwnership(ordered: OrderedLanes<HeldMessage>, subscriptions: Subscription[], claim: { minIdleMs: number; count: number }): PartitionOwnership {
    const { group, consumer, readCount, prefetch } = this.options;
    const ownership = new PartitionOwnership(this.command, this.keys, { group, consumer, ttlMs: claim.minIdleMs, claimCount: claim.count, readCount, prefetch }, subscriptions, {
      dispatcher: this.dispatcher!, retries: this.retries, acks: this.acks!, isPaused: (streamKey) => this.pause?.isPaused(streamKey) === true,
      limiter: RateLimiter.for(this.command, subscriptions, group, this.observers, this.errors),
      report: (source, error) => this.errors.report(source, error),
    });
    ownership.startWith(ordered, this.readers);
    return ownership;
  }

  /**
   * Graceful shutdown (DESIGN.md, delivery semantics 7), in this order:
   *
   * 1. Stop the reclaim timer (and the priority levels lookup) and forget waiting retries (their entries stay pending on
   *    this consumer for others to reclaim; it must then not leave the group).
   * 2. Stop reading: flag `stopping`, wake slot waiters and interrupt blocking reads.
   *    Held entries whose handler has not started are not started: they are handed back
   *    at once (hand-back-1.lua makes them claimable by another consumer's next reclaim
   *    pass), and so are those that come in later (a read kept for read-ahead).
   * 3. Wait, all within `shutdownTimeoutMs`: the periodic tasks' current runs (bounded: with
   *    Redis down a command waits in the offline queue), the read loop, then every
   *    running handler.
   * 4. Wait for dead-letter writes, then drain the acks (each at least a floor of time).
   * 5. Stop refreshing leases. Leave the group on each stream where nothing is pending,
   *    and only if every handler finished and no retry was waiting.
   * 6. Close the readers, then the command connection; status becomes disconnected.
   */
  async stop(): Promise<void> {
    if (!this.started || this.control.stopping) return this.stopped;
    this.control.stopping = true;
    this.stopped = this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    const o = this.options;
    this.reclaimer?.stop();
    this.levels?.close();
    this.ownership?.stopTaking();
    const retriesLeft = this.retries.clear().length;
    this.dispatcher?.interrupt();
    this.control.wake();
    const deadline = Date.now() + o.shutdownTimeoutMs;
    const within = <T>(promise: Promise<T>, ms: number) => withDeadline(promise, ms, () => undefined);
    const handingBack = this.handBackUnstarted();
    await within(Promise.all(this.tasks.map((task) => task.stop())), remainingMs(deadline));
    await within(Promise.all([this.loop, this.growth?.settled()]), remainingMs(deadline));
    const whenIdle = this.dispatcher?.whenIdle() ?? Promise.resolve();
    const idle = await withDeadline(whenIdle.then(() => true), remainingMs(deadline), () => false);
    await within(Promise.all([handingBack, this.handBackUnstarted()]), Math.max(SHUTDOWN_MIN_MS.ackDrain, remainingMs(deadline)));
    if (!idle) o.logger.warn(`shutdown timeout (${o.shutdownTimeoutMs} ms): ${this.dispatcher?.slotsInUse} entries left pending for other consumers to reclaim`);
    await within(this.dispatcher?.backgroundSettled() ?? Promise.resolve(), Math.max(SHUTDOWN_MIN_MS.background, remainingMs(deadline)));
    await within(this.acks?.drain() ?? Promise.resolve(), Math.max(SHUTDOWN_MIN_MS.ackDrain, remainingMs(deadline)));
    this.acks?.close();
    // Handlers still running keep their partitions' leases until they expire: no one else starts those keys meanwhile.
    await within(this.ownership?.close(idle) ?? Promise.resolve(), Math.max(SHUTDOWN_MIN_MS.leaveGroup, remainingMs(deadline)));
    await this.events?.flush();
    this.leases?.stop();
    if (idle && retriesLeft === 0) {
      const leave = this.leaveGroup().catch((error) => this.errors.report('leave group', error));
      await within(leave, Math.max(SHUTDOWN_MIN_MS.leaveGroup, remainingMs(deadline)));
    }
    await Promise.all([...this.readers.map((reader) => reader.close()), this.pause?.close(), this.partitions?.close()]);
    await this.command.close();
    this.setStatus('disconnected');
  }

  private handBackUnstarted(): Promise<void> {
    return handBackUnstarted(this.command, this.options, this.dispatcher?.dropUnstarted() ?? [], (error) => this.errors.report('hand back', error));
  }

  /** Removes this consumer from the group on each stream where it owns no pending entry. */
  private async leaveGroup(): Promise<void> {
    const { group, consumer } = this.options;
    const streamKeys = [...this.subscriptions.values()].flatMap((s) => s.streamKeys);
    await Promise.all(streamKeys.map((stream) => LuaSteps.removeConsumerIfIdle(this.command, { stream }, { group, consumer, minIdleMs: 0 })));
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.observers.current.statusChanged?.(status);
    this.emit('status', status);
  }
}
