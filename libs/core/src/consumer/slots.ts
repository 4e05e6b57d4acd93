/**
 * Held slots: the consumer never holds more entries than `prefetch`. Entries are counted
 * from the moment they are read (or claimed) until their handler finished, so reads ask
 * Redis for at most the free slots. No promise per message: only a waiter
 * that found no slot free gets one.
 */
export class Slots {
  private free: number;
  private waiters: (() => void)[] = [];

  constructor(readonly capacity: number) {
    this.free = capacity;
  }

  get available(): number {
    return this.free;
  }

  get inUse(): number {
    return this.capacity - this.free;
  }

  /** Takes up to `wanted` slots and returns how many were taken. */
  take(wanted: number): number {
    const taken = Math.min(wanted, this.free);
    this.free -= taken;
    return taken;
  }

  release(count = 1): void {
    this.free += count;
    if (this.waiters.length > 0) this.interrupt();
  }

  /** Wakes every waiter now, e.g. on shutdown, so nobody waits for a slot that will not come. */
  interrupt(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves when every slot is free again, i.e. nothing is in flight. */
  async whenIdle(): Promise<void> {
    while (this.free < this.capacity) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves on the next release or interrupt. */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
