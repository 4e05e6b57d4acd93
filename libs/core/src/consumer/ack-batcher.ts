/**
 * Batches acknowledgements: one XACK with many ids per stream, flushed when a batch is
 * full or `flushMs` after the first id queued, on the command connection (never the
 * blocking reader's) and without making anyone wait for it. Entries with an idempotency
 * key are acked together with their completion mark in one Lua step. A flush that fails
 * (connection lost, OOM, NOPERM) is queued again after a backoff that grows while failures
 * go on, also while draining at shutdown, so a finished entry is not left pending and a
 * persistent error does not turn into a busy loop of commands.
 */
import type { StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';
import { ACK_RETRY_MS } from '../constants.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { CompletionMarks } from './completion-marks.js';

interface PendingAcks {
  ids: string[];
  /** Entries acked with a completion mark (consumer-side dedupe): their ids and idempotency keys. */
  markIds: string[];
  markedKeys: string[];
  /** The stream's keys, where its completion buckets are (set with the first mark). */
  streamKeys: StreamKeys | undefined;
}

export class AckBatcher {
  private queued = new Map<string, PendingAcks>();
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  /** Flushes that failed in a row; sets the retry delay. */
  private failures = 0;
  /** Resolved at the next flush (or close): what drain() waits on while a retry is scheduled. */
  private flushed: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly options: { batchSize: number; flushMs: number; marks: CompletionMarks | undefined },
    private readonly onError: (error: Error) => void,
  ) {}

  ack(streamKey: string, entryId: string): void {
    this.bucket(streamKey).ids.push(entryId);
    this.queuedOne();
  }

  /** Acks the entry and marks its idempotency key completed for the group (`keys`: its stream's). */
  ackCompleted(streamKey: string, entryId: string, keys: StreamKeys, idempotencyKey: string): void {
    const bucket = this.bucket(streamKey);
    bucket.markIds.push(entryId);
    bucket.markedKeys.push(idempotencyKey);
    bucket.streamKeys = keys;
    this.queuedOne();
  }

  /** Sends everything queued and waits for all flushes to settle. */
  async drain(): Promise<void> {
    if (this.failures === 0) this.flush();
    while (!this.closed && (this.inFlight.size > 0 || this.size > 0)) {
      if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      // Failed acks wait for their retry timer, as they do while running.
      else if (this.failures > 0) await this.nextFlush();
      else this.flush();
    }
  }

  /**
   * Sends what is queued now and waits for those sends only (acks queued meanwhile are not
   * waited for, unlike drain()); true when everything sent so far was acked.
   */
  async flushQueued(): Promise<boolean> {
    if (this.failures > 0) return false;
    this.flush();
    await Promise.allSettled([...this.inFlight]);
    return this.failures === 0;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.flushed?.resolve();
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushed?.resolve();
    this.flushed = undefined;
    if (this.size === 0) return;
    const batches = this.queued;
    this.queued = new Map();
    this.size = 0;
    for (const [streamKey, acks] of batches) {
      const sent = this.send(streamKey, acks).then(
        () => {
          this.failures = 0;
        },
        (error: Error) => this.failed(streamKey, acks, error),
      );
      this.inFlight.add(sent);
      void sent.finally(() => this.inFlight.delete(sent));
    }
  }

  private async send(streamKey: string, acks: PendingAcks): Promise<void> {
    const sends: Promise<unknown>[] = [];
    if (acks.ids.length > 0) sends.push(this.connection.send(['XACK', streamKey, this.group, ...acks.ids]));
    const marks = this.options.marks;
    if (acks.markIds.length > 0 && marks !== undefined && acks.streamKeys !== undefined) {
      // The bucket is the one current when the acks are sent (a retried flush writes the newer one).
      const bucket = marks.writeKey(acks.streamKeys);
      sends.push(
        LuaSteps.ackCompleted(this.connection, { stream: streamKey, bucket: bucket.key }, {
          group: this.group, ttlMs: marks.ttlMs, bucketEndMs: bucket.endMs, entryIds: acks.markIds, idempotencyKeys: acks.markedKeys,
        }),
      );
    }
    await Promise.all(sends);
  }

  private failed(streamKey: string, acks: PendingAcks, error: Error): void {
    // The group is gone (stream deleted, Redis restarted empty): nothing is pending any more.
    if (isErrorReply(error, 'NOGROUP')) return;
    this.onError(error);
    if (this.closed) return;
    const bucket = this.bucket(streamKey);
    bucket.ids.push(...acks.ids);
    bucket.markIds.push(...acks.markIds);
    bucket.markedKeys.push(...acks.markedKeys);
    bucket.streamKeys ??= acks.streamKeys;
    this.size += acks.ids.length + acks.markIds.length;
    this.failures += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), retryDelayMs(this.failures));
  }

  private nextFlush(): Promise<void> {
    if (this.flushed === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.flushed = { promise, resolve };
    }
    return this.flushed.promise;
  }

  private bucket(streamKey: string): PendingAcks {
    let bucket = this.queued.get(streamKey);
    if (bucket === undefined) {
      bucket = { ids: [], markIds: [], markedKeys: [], streamKeys: undefined };
      this.queued.set(streamKey, bucket);
    }
    return bucket;
  }

  private queuedOne(): void {
    this.size += 1;
    if (this.size >= this.options.batchSize) this.flush();
    else if (this.timer === undefined) this.timer = setTimeout(() => this.flush(), this.options.flushMs);
  }
}

/** ACK_RETRY_MS (200 ms) after the first failure, doubling up to 5 s while flushes keep failing. */
function retryDelayMs(failures: number): number {
  return Math.min(5_000, ACK_RETRY_MS * 2 ** Math.min(failures - 1, 5));
}
