/**
 * Consumer-side dedupe lookups: has the group already completed this idempotency key?
 * The lookups asked for while one read is handed over (synchronously, entry by entry) go
 * to Redis together, one MGET per stream, instead of one EXISTS round trip per entry.
 * The marks of one stream share its hash tag, so the MGET is single-slot on a Cluster.
 *
 * Each answer goes to the listener given with the lookup rather than through a promise
 * per entry: on a keyed drain the promises, their closures and their microtasks were
 * about a third of what the lookup cost the worker.
 */
import type { RedisConnection } from '../redis/connection.js';

/** Told the answer of each lookup, in the order the lookups were asked. */
export interface CompletionListener<T> {
  checked(item: T, completed: boolean): void;
  /** The MGET failed: the completion of `item` is unknown. */
  checkFailed(item: T, error: Error): void;
}

interface StreamLookups {
  /** `MGET` followed by the mark keys, ready to send. */
  readonly command: string[];
  readonly items: unknown[];
  readonly listeners: CompletionListener<unknown>[];
}

export class CompletionCheck {
  private queued = new Map<string, StreamLookups>();
  private flushQueued = false;

  constructor(private readonly connection: RedisConnection) {}

  /** Asks whether the completion mark `markKey` (of a stream `streamKey`) exists; `listener` is told about `item`. */
  check<T>(streamKey: string, markKey: string, item: T, listener: CompletionListener<T>): void {
    let lookups = this.queued.get(streamKey);
    if (lookups === undefined) {
      lookups = { command: ['MGET'], items: [], listeners: [] };
      this.queued.set(streamKey, lookups);
    }
    lookups.command.push(markKey);
    lookups.items.push(item);
    lookups.listeners.push(listener as CompletionListener<unknown>);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushQueued = false;
    const batches = this.queued;
    this.queued = new Map();
    for (const { command, items, listeners } of batches.values()) {
      this.connection.send<(string | null)[]>(command).then(
        (marks) => {
          for (let i = 0; i < items.length; i++) listeners[i].checked(items[i], marks[i] !== null);
        },
        (error: Error) => {
          for (let i = 0; i < items.length; i++) listeners[i].checkFailed(items[i], error);
        },
      );
    }
  }
}
