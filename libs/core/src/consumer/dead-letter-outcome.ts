/**
 * The dead-letter outcome of an entry: the write (DeadLetterWriter, one Lua step), then what it
 * means for the observers — counted once the dead letter is in the stream, never when the write
 * failed (the entry stays pending and is dead-lettered again later) or found the entry taken
 * over. Writes run in the background; shutdown waits for them (`settled`).
 */
import type { Logger } from '../options.js';
import type { DeadLetterWriter } from './dead-letter.js';
import type { ErrorReporter } from './error-reporter.js';
import type { Subscription } from './held-message.js';
import type { ObserverHub } from './observer-hub.js';
import type { DeadLetterReason } from './received-message.js';

export class DeadLetterOutcome {
  private readonly writes = new Set<Promise<unknown>>();

  constructor(
    private readonly writer: DeadLetterWriter,
    private readonly observers: ObserverHub,
    private readonly errors: ErrorReporter,
    private readonly logger: Logger,
  ) {}

  /** `streamKey`: the level stream the entry was read from (default the stream itself). */
  send(
    subscription: Subscription, entryId: string, fields: readonly string[], deliveries: number, reason: DeadLetterReason, error: unknown, durationMs = 0,
    streamKey = subscription.keys.stream,
  ): void {
    const stream = subscription.keys.name;
    if (reason === 'decode-error' || reason === 'too-large') {
      this.logger.warn(`dead-lettering ${reason === 'too-large' ? 'oversized' : 'undecodable'} entry ${entryId} of "${stream}": ${(error as Error).message}`);
    }
    const write = this.writer
      .write({ streamKey, deadLetterKey: subscription.keys.deadLetter, entryId, fields, deliveries, reason, error })
      .then(({ moved, dropped }) => {
        if (moved) {
          this.observers.current.handled?.(stream, 'dead-lettered', durationMs);
          this.observers.current.failed?.({ stream, entryId, streamKey, deliveries, error, deadLettered: true });
        }
        if (dropped > 0) this.observers.current.deadLetterDropped?.(stream, dropped);
      })
      .catch((e: Error) => this.errors.report('dead-letter', e));
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  /** Every write under way, settled. */
  settled(): Promise<unknown> {
    return Promise.allSettled([...this.writes]);
  }
}
