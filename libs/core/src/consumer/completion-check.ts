/**
 * Consumer-side dedupe lookups: has the group already completed this idempotency key?
 * The lookups asked for while one read is handed over (synchronously, entry by entry) go
 * to Redis together, one MGET per stream, instead of one EXISTS round trip per entry.
 * The marks of one stream share its hash tag, so the MGET is single-slot on a Cluster.
 */
import type { RedisConnection } from '../redis/connection.js';

interface Lookup {
  markKey: string;
  resolve: (completed: boolean) => void;
  reject: (error: Error) => void;
}

export class CompletionCheck {
  private queued = new Map<string, Lookup[]>();
  private flushQueued = false;

  constructor(private readonly connection: RedisConnection) {}

  /** True when the completion mark `markKey` (of a stream `streamKey`) exists. */
  isCompleted(streamKey: string, markKey: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      let lookups = this.queued.get(streamKey);
      if (lookups === undefined) {
        lookups = [];
        this.queued.set(streamKey, lookups);
      }
      lookups.push({ markKey, resolve, reject });
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushQueued = false;
    const batches = this.queued;
    this.queued = new Map();
    for (const lookups of batches.values()) {
      this.connection.send<(string | null)[]>(['MGET', ...lookups.map((l) => l.markKey)]).then(
        (marks) => {
          for (let i = 0; i < lookups.length; i++) lookups[i].resolve(marks[i] !== null);
        },
        (error: Error) => {
          for (const lookup of lookups) lookup.reject(error);
        },
      );
    }
  }
}
