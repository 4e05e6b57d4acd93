/**
 * The partition counts a producer or worker uses, cached: read (or, for a stream named in
 * the option `partitions`, agreed) once per stream, then kept current by a broadcast on
 * the metadata key's channel and a re-read every PARTITIONS_REFRESH_MS, so a missed
 * broadcast only delays a change. Counts only grow: a growth is reported to the
 * listeners (a worker then starts reading the new partitions); a stored count smaller
 * than the cached one is reported as an error and ignored.
 */
import { PARTITIONS_REFRESH_MS } from '../constants.js';
import { RedstreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { agreePartitionCount, readPartitionCount } from './partition-metadata.js';

export type PartitionGrowthListener = (stream: string, from: number, to: number) => void;

export class PartitionMap {
  /** Stream -> partition count; 0 for a stream that is not partitioned. */
  private readonly counts = new Map<string, number>();
  private readonly resolving = new Map<string, Promise<number>>();
  private readonly listeners: PartitionGrowthListener[] = [];
  private subscriber: Promise<RedisConnection | undefined> | undefined;
  private readonly channels = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    /** The option `partitions`: these counts must agree with the stored ones (or are stored when none is). */
    private readonly configured: Readonly<Record<string, number>>,
    private readonly onError: (source: string, error: Error) => void,
    private readonly refreshMs = PARTITIONS_REFRESH_MS,
  ) {}

  /** The cached count of `stream` (0: not partitioned), or undefined before `resolve()`. */
  cached(stream: string): number | undefined {
    return this.counts.get(stream);
  }

  /** The count of `stream`, read once (concurrent callers share the read); PartitionCountError on a mismatch with the option. */
  resolve(stream: string): Promise<number> {
    const known = this.counts.get(stream);
    if (known !== undefined) return Promise.resolve(known);
    let pending = this.resolving.get(stream);
    if (pending === undefined) {
      const configured = this.configured[stream];
      const read = configured === undefined ? readPartitionCount(this.connection, this.keys, stream) : agreePartitionCount(this.connection, this.keys, stream, configured);
      pending = read
        .then((count) => {
          this.counts.set(stream, count);
          this.startWatching(stream, count);
          return count;
        })
        .finally(() => this.resolving.delete(stream));
      this.resolving.set(stream, pending);
    }
    return pending;
  }

  /** Resolves every stream named in the option at once, so that a mismatch fails at start. */
  async resolveConfigured(): Promise<void> {
    await Promise.all(Object.keys(this.configured).map((stream) => this.resolve(stream)));
  }

  onGrowth(listener: PartitionGrowthListener): void {
    this.listeners.push(listener);
  }

  /** Re-reads every cached count now (also what the timer and a broadcast do). */
  refresh(): Promise<void> {
    this.refreshing ??= this.reread().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    const subscriber = await this.subscriber?.catch(() => undefined);
    await subscriber?.close();
  }

  private async reread(): Promise<void> {
    const streams = [...this.counts.keys()];
    const counts = await Promise.all(
      streams.map((stream) =>
        readPartitionCount(this.connection, this.keys, stream).catch((error: Error) => {
          this.onError(`partition count of ${stream}`, error);
          return undefined;
        }),
      ),
    );
    streams.forEach((stream, i) => {
      const stored = counts[i];
      if (stored !== undefined) this.update(stream, stored);
    });
  }

  private update(stream: string, stored: number): void {
    const current = this.counts.get(stream) ?? 0;
    if (stored === current) return;
    if (stored < current) {
      this.onError(
        `partition count of ${stream}`,
        new RedstreamError('ERR_PARTITIONS_SHRINK', `${this.keys.forStream(stream).meta} says ${stored} partitions, fewer than the ${current} in use; keeping ${current} (shrinking is not supported).`),
      );
      return;
    }
    this.counts.set(stream, stored);
    this.subscribe(stream);
    for (const listener of this.listeners) listener(stream, current, stored);
  }

  /** Every cached stream is polled (one may become partitioned); only partitioned ones are subscribed to. */
  private startWatching(stream: string, count: number): void {
    if (this.closed) return;
    this.timer ??= setInterval(() => void this.refresh(), this.refreshMs).unref();
    if (count > 0) this.subscribe(stream);
  }

  /** Subscribes to the metadata channel of `stream`, on a connection opened with the first; a failure (ACL) leaves polling. */
  private subscribe(stream: string): void {
    const channel = this.keys.forStream(stream).meta;
    if (this.channels.has(channel) || this.closed) return;
    this.channels.set(channel, stream);
    this.subscriber ??= this.connection.duplicate(`${this.connection.name}-partitions`).catch((error: Error) => {
      this.onError('partition count subscriber (growth is picked up by polling)', error);
      return undefined;
    });
    void this.subscriber.then(async (subscriber) => {
      if (subscriber === undefined) return;
      try {
        await subscriber.subscribe([channel], (message, from) => {
          const target = this.channels.get(from);
          const count = Number(message);
          if (target !== undefined && Number.isInteger(count)) this.update(target, count);
        });
      } catch (error) {
        this.onError('partition count subscribe (growth is picked up by polling)', error as Error);
      }
    });
  }
}
