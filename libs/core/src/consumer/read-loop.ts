/**
 * The read loop: one lane per reader, each a loop of blocking XREADGROUPs that never
 * asks for more entries than the dispatcher has free held slots (`prefetch` minus what
 * is held, running or waiting for a handler). The first lane also serves,
 * between reads, this consumer's own pending entries (once, at start), retries whose
 * backoff has passed and due reclaim passes.
 *
 * Read-ahead: while the consumer is behind, a full read's entries go to their handlers
 * only once the next read is on the socket, so Redis serves that read while the handlers
 * run instead of after them. A lane keeps that read in its `readAhead` field until then.
 */
import { backoffDelay } from '../backoff.js';
import { RECONNECT_BACKOFF } from '../constants.js';
import type { ResolvedConsumerOptions } from '../options.js';
import { isErrorReply } from '../redis/connection.js';
import type { Dispatcher } from './dispatcher.js';
import type { ErrorReporter } from './error-reporter.js';
import type { GroupManager } from './group-manager.js';
import type { WaitingRetry } from './held-message.js';
import type { OwnEntries } from './own-entries.js';
import type { PauseControl } from './pause-control.js';
import type { Reclaimer, ReclaimTargets } from './reclaimer.js';
import type { RetryScheduler } from './retry-scheduler.js';
import type { RunControl } from './run-control.js';
import type { StreamReader, XReadReply } from './stream-reader.js';

class Lane {
  /** A full read kept back until the next read has been sent; null when none is. */
  readAhead: XReadReply = null;

  constructor(
    readonly reader: StreamReader,
    /** The first lane serves own pending entries, retries and reclaims too. */
    readonly first: boolean,
  ) {}
}

export interface ReadLoopUnits {
  readonly dispatcher: Dispatcher;
  readonly ownEntries: OwnEntries;
  readonly retries: RetryScheduler<WaitingRetry>;
  readonly reclaimer: Reclaimer | undefined;
  /** What a reclaim pass hands its entries to. */
  readonly reclaimTargets: ReclaimTargets;
  readonly groups: GroupManager;
  readonly errors: ErrorReporter;
  readonly control: RunControl;
  /** Paused groups: a reader whose streams are all paused waits instead of reading (pause-control.ts). */
  readonly pause?: PauseControl;
}

export class ReadLoop {
  private readonly lanes: Lane[];
  /** Every lane's run, those added while running (partition growth) included. */
  private readonly running: Promise<void>[] = [];
  /** Failed reads in a row, for the backoff and the "consuming again" line. */
  private errorStreak = 0;

  constructor(
    readers: readonly StreamReader[],
    private readonly options: Pick<ResolvedConsumerOptions, 'group' | 'consumer' | 'prefetch' | 'readCount' | 'blockMs' | 'logger'>,
    private readonly units: ReadLoopUnits,
  ) {
    this.lanes = readers.map((reader, i) => new Lane(reader, i === 0));
  }

  /** Runs every lane until shutdown; each hands its kept read over before it ends. */
  async run(): Promise<void> {
    this.running.push(...this.lanes.map((lane) => this.runLane(lane)));
    for (let waited = 0; waited < this.running.length; ) {
      waited = this.running.length;
      await Promise.all(this.running);
    }
  }

  /** Lanes for readers opened while running (new partitions); they end with the others at shutdown. */
  addReaders(readers: readonly StreamReader[]): void {
    for (const reader of readers) {
      const lane = new Lane(reader, false);
      this.lanes.push(lane);
      this.running.push(this.runLane(lane));
    }
  }

  private async runLane(lane: Lane): Promise<void> {
    const { dispatcher, ownEntries, retries, reclaimer, control } = this.units;
    let rereadOwn = lane.first;
    while (!control.stopping) {
      try {
        if (!lane.reader.hasActiveStreams) {
          await this.whilePaused(lane);
          continue;
        }
        if (rereadOwn) {
          await ownEntries.rereadOwnPending();
          rereadOwn = false;
        }
        if (lane.first && (retries.hasDue || reclaimer?.due)) {
          this.handOverReadAhead(lane);
          if (retries.hasDue) await ownEntries.takeBackDueRetries();
          if (reclaimer?.due) await reclaimer.pass(this.units.reclaimTargets);
        }
        if (dispatcher.freeSlots === 0) {
          // Handlers that finish at once free their slots while being handed over.
          this.handOverReadAhead(lane);
          if (dispatcher.freeSlots === 0) await dispatcher.slotsFreed();
          continue;
        }
        const previous = lane.readAhead;
        // Cleared first: a read that fails has handed `previous` over all the same.
        lane.readAhead = null;
        lane.readAhead = await this.readNew(lane, previous);
        this.readSucceeded();
      } catch (error) {
        if (control.stopping) break;
        await this.recoverRead(lane.reader, error);
      }
    }
    // Read before the stop: never started, the dispatcher keeps it to be handed back.
    this.handOverReadAhead(lane);
  }

  /** Every stream of the lane is paused: no reads, retries or reclaims until a change (or shutdown). */
  private async whilePaused(lane: Lane): Promise<void> {
    this.handOverReadAhead(lane);
    const change = this.units.pause?.nextChange() ?? Promise.resolve();
    await Promise.race([change, this.units.dispatcher.nextSlotChange()]);
  }

  private handOverReadAhead(lane: Lane): void {
    const reply = lane.readAhead;
    lane.readAhead = null;
    this.units.dispatcher.handOver(reply);
  }

  /** Sends the next read and hands `previous` to the handlers meanwhile; returns a full read to hand over later. */
  private async readNew(lane: Lane, previous: XReadReply): Promise<XReadReply> {
    const { dispatcher, control } = this.units;
    const o = this.options;
    // Several readers share the held slots; none may hold them all while it blocks.
    const share = this.lanes.length > 1 ? Math.max(1, Math.floor(o.prefetch / this.lanes.length)) : o.readCount;
    const count = dispatcher.reserve(Math.min(o.readCount, share, dispatcher.freeSlots));
    let received = 0;
    try {
      const read = lane.reader.read(
        o.group,
        o.consumer,
        count,
        lane.first ? this.blockTime() : o.blockMs,
        () => !(control.stopping || (lane.first && this.firstLaneHasWork())),
      );
      // node-redis writes commands to the socket in a setImmediate: handing the previous
      // entries over after it lets Redis serve this read while their handlers run.
      if (previous !== null) setImmediate(() => dispatcher.handOver(previous));
      const reply = await read;
      if (reply !== null) for (const [, entries] of reply) received += entries.length;
      // A full read means more is waiting: keep it until the next read is sent. A short
      // one means the consumer has caught up: no reason to make it wait (unless a priority
      // level filled its share: a read over levels may be short by its probes alone).
      if (received < count && !lane.reader.moreWaiting) {
        dispatcher.handOver(reply);
        return null;
      }
      return reply;
    } finally {
      dispatcher.unreserve(count - received);
    }
  }

  private firstLaneHasWork(): boolean {
    return this.units.retries.hasDue || this.units.reclaimer?.due === true;
  }

  /**
   * A read blocks no longer than until the next retry or reclaim pass is due, so a due
   * retry never waits for a whole blockMs when a CLIENT UNBLOCK reached Redis before the
   * read it was meant to interrupt.
   */
  private blockTime(): number {
    const next = Math.min(this.units.retries.nextDueAt, this.units.reclaimer?.nextAt ?? Infinity);
    return Math.max(1, Math.min(this.options.blockMs, Math.ceil(next - Date.now())));
  }

  private readSucceeded(): void {
    if (this.errorStreak === 0) return;
    this.options.logger.log(`consuming again after ${this.errorStreak} failed attempts`);
    this.errorStreak = 0;
  }

  private async recoverRead(reader: StreamReader, error: unknown): Promise<void> {
    const { groups, errors } = this.units;
    if (isErrorReply(error, 'NOGROUP')) {
      const created = await groups.recover(reader.allStreamKeys).catch((e: Error) => {
        errors.report('group re-create', e);
        return [];
      });
      // Re-created: read again at once. Not re-created (the group exists, yet the read
      // says NOGROUP): back off like any other error rather than spin.
      if (created.length > 0) return;
    }
    this.errorStreak += 1;
    errors.report('read', error as Error);
    if (reader.mustRelocate(error)) {
      await reader.relocate().catch((e) => errors.report('reader relocation', e));
    }
    await this.pause(backoffDelay(this.errorStreak + 1, RECONNECT_BACKOFF));
  }

  /** Waits `ms`, or less when a slot frees up (or shutdown interrupts). */
  private pause(ms: number): Promise<void> {
    return Promise.race([new Promise<void>((resolve) => setTimeout(resolve, ms).unref()), this.units.dispatcher.nextSlotChange()]);
  }
}
