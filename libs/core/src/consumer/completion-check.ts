/**
 * Consumer-side dedupe lookups: has the group already completed this idempotency key?
 * The lookups asked for while one read is handed over (synchronously, entry by entry) go
 * to Redis together, one completed-keys-n.lua per stream over the group's completion
 * buckets (completion-marks.ts), instead of one round trip per entry. A stream's buckets
 * share its hash tag, so the call is single-slot on a Cluster. With `dedupe.legacyMarks`
 * the string marks redstream 0.1 wrote are read beside it (one MGET) and count as well.
 *
 * Each answer goes to the listener given with the lookup rather than through a promise
 * per entry: on a keyed drain the promises, their closures and their microtasks were
 * about a third of what the lookup cost the worker.
 */
import type { StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { CompletionMarks } from './completion-marks.js';

/** Told the answer of each lookup, in the order the lookups were asked. */
export interface CompletionListener<T> {
  checked(item: T, completed: boolean): void;
  /** The lookup failed: the completion of `item` is unknown. */
  checkFailed(item: T, error: Error): void;
}

interface StreamLookups {
  readonly keys: StreamKeys;
  readonly idempotencyKeys: string[];
  readonly items: unknown[];
  readonly listeners: CompletionListener<unknown>[];
}

export class CompletionCheck {
  private queued = new Map<string, StreamLookups>();
  private flushQueued = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly marks: CompletionMarks,
  ) {}

  /** Asks whether the group completed `idempotencyKey` on the stream of `keys`; `listener` is told about `item`. */
  check<T>(keys: StreamKeys, idempotencyKey: string, item: T, listener: CompletionListener<T>): void {
    let lookups = this.queued.get(keys.name);
    if (lookups === undefined) {
      lookups = { keys, idempotencyKeys: [], items: [], listeners: [] };
      this.queued.set(keys.name, lookups);
    }
    lookups.idempotencyKeys.push(idempotencyKey);
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
    for (const { keys, idempotencyKeys, items, listeners } of batches.values()) {
      this.completed(keys, idempotencyKeys).then(
        (completed) => {
          for (let i = 0; i < items.length; i++) listeners[i].checked(items[i], completed[i] === 1);
        },
        (error: Error) => {
          for (let i = 0; i < items.length; i++) listeners[i].checkFailed(items[i], error);
        },
      );
    }
  }

  /** One flag per key, 1 when completed. */
  private async completed(keys: StreamKeys, idempotencyKeys: string[]): Promise<number[]> {
    const inBuckets = LuaSteps.completedKeys(this.connection, { buckets: this.marks.lookupKeys(keys) }, { idempotencyKeys });
    if (!this.marks.legacyMarks) return inBuckets;
    const group = this.marks.group;
    const [flags, legacy] = await Promise.all([
      inBuckets,
      this.connection.send<(string | null)[]>(['MGET', ...idempotencyKeys.map((key) => keys.completed(group, key))]),
    ]);
    return flags.map((flag, i) => (flag === 1 || legacy[i] !== null ? 1 : 0));
  }
}
