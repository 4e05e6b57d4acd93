/**
 * What every unit of a running consumer shares: whether shutdown has begun, and a way to
 * interrupt the blocking reads so the loop serves a due retry, a reclaim pass or the
 * shutdown now instead of after `blockMs`.
 */
import type { StreamReader } from './stream-reader.js';

export class RunControl {
  /** Set once by stop(); read by the loop, the dispatcher, the reclaimer and own-entry takes. */
  stopping = false;
  private readers: readonly StreamReader[] = [];

  /** The readers wake() interrupts (set at start, once they are open). */
  attach(readers: readonly StreamReader[]): void {
    this.readers = readers;
  }

  /** Interrupts a blocking read so the loop can serve retries, reclaims or shutdown now. */
  wake(): void {
    for (const reader of this.readers) reader.unblock();
  }
}
