/**
 * Holds failed entries until their backoff has passed. One timer for all of them (set
 * to the earliest due time), not one per entry.
 */
export interface ScheduledRetry {
  readonly streamKey: string;
  readonly entryId: string;
  readonly dueAt: number;
}

export class RetryScheduler<T extends ScheduledRetry> {
  private queue: T[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(private readonly onDue: () => void) {}

  get size(): number {
    return this.queue.length;
  }

  schedule(retry: T): void {
    let index = this.queue.length;
    while (index > 0 && this.queue[index - 1].dueAt > retry.dueAt) index -= 1;
    this.queue.splice(index, 0, retry);
    this.arm();
  }

  /** Removes and returns up to `max` entries whose time has come. */
  takeDue(max: number, now = Date.now()): T[] {
    let count = 0;
    while (count < max && count < this.queue.length && this.queue[count].dueAt <= now) count += 1;
    const due = this.queue.splice(0, count);
    this.arm();
    return due;
  }

  /** When the earliest waiting retry is due (ms since epoch), Infinity when none waits. */
  get nextDueAt(): number {
    return this.queue[0]?.dueAt ?? Infinity;
  }

  /** The waiting retries, earliest first. */
  entries(): readonly T[] {
    return this.queue;
  }

  get hasDue(): boolean {
    return this.queue.length > 0 && this.queue[0].dueAt <= Date.now();
  }

  /** Drops a waiting retry (its entry was reclaimed and is being handled already). */
  remove(streamKey: string, entryId: string): boolean {
    const index = this.queue.findIndex((retry) => retry.entryId === entryId && retry.streamKey === streamKey);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    this.arm();
    return true;
  }

  /** Forgets every waiting retry; their entries stay pending for the reclaimer. */
  clear(): T[] {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    const dropped = this.queue;
    this.queue = [];
    return dropped;
  }

  private arm(): void {
    const next = this.queue[0]?.dueAt ?? Infinity;
    if (next === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = next;
    if (next === Infinity) {
      this.timer = undefined;
      return;
    }
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      this.timer = undefined;
      this.onDue();
    }, Math.max(0, next - Date.now()));
  }
}
