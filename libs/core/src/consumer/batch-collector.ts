/**
 * Forms the batches of one batch handler: entries that hold a slot and passed the dedupe
 * check line up here (still held, so their leases are kept), and a batch is due once
 * `maxSize` of them are in line or the oldest has waited `maxWaitMs` since it was read.
 * Whether a due batch may start (concurrency, pause) is the batch runner's call; the collector
 * only says when, and wakes it then.
 */
import type { HeldMessage, Subscription } from './held-message.js';

export class BatchCollector {
  private readonly line: HeldMessage[] = [];
  /** When the oldest entry in line was read (its `heldSince`); Infinity when the line is empty. */
  private oldest = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** The oldest entry's wait is over (set by its timer: Date.now() may read a little earlier than the timer's time). */
  private expired = false;

  constructor(
    readonly subscription: Subscription,
    readonly maxSize: number,
    readonly maxWaitMs: number,
    /** Called when a batch becomes due (full, or its wait is over). */
    private readonly onDue: (collector: BatchCollector) => void,
  ) {}

  get size(): number {
    return this.line.length;
  }

  /** When the oldest entry in line was read (ms since epoch); Infinity when none is. */
  get oldestSince(): number {
    return this.oldest;
  }

  get due(): boolean {
    return this.line.length >= this.maxSize || (this.line.length > 0 && (this.expired || Date.now() >= this.oldest + this.maxWaitMs));
  }

  add(entry: HeldMessage): void {
    this.line.push(entry);
    if (entry.heldSince < this.oldest) this.oldest = entry.heldSince;
    if (this.line.length === this.maxSize) {
      this.onDue(this);
      return;
    }
    this.arm();
  }

  /** The next batch: up to `maxSize` entries, oldest in line first. */
  take(): HeldMessage[] {
    const batch = this.line.length <= this.maxSize ? this.line.splice(0) : this.line.splice(0, this.maxSize);
    this.oldest = Infinity;
    this.expired = false;
    for (const entry of this.line) if (entry.heldSince < this.oldest) this.oldest = entry.heldSince;
    if (this.line.length === 0) this.disarm();
    else this.arm();
    return batch;
  }

  /** Shutdown: every entry in line, none started; the line is empty afterwards. */
  drop(): HeldMessage[] {
    this.disarm();
    this.oldest = Infinity;
    this.expired = false;
    return this.line.splice(0);
  }

  /** A timer for the oldest entry's deadline (one per collector, moved only when the deadline moves). */
  private arm(): void {
    const at = this.oldest + this.maxWaitMs;
    if (at === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      if (this.line.length === 0) return;
      this.expired = true;
      this.onDue(this);
    }, Math.max(0, at - Date.now()));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }
}
