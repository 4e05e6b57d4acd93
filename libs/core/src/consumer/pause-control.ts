/**
 * Whether this consumer's group is paused on each of its streams (`pauseGroup`, `redstream
 * pause`). The state is the pause key in Redis; this unit keeps a copy, refreshed when a
 * change is broadcast on the key's channel, when the subscriber reconnects and every
 * PAUSE_POLL_MS, so a broadcast missed (while disconnected, or refused by ACL) is harmless.
 *
 * The read loop asks `activeKeys()` before each read and waits on `nextChange()` while every
 * stream of a reader is paused; the reclaimer skips paused streams. A change wakes blocking
 * reads so a pause takes effect now rather than after blockMs.
 *
 * A handler's RateLimitedError is a pause with an end: `holdBack()` sets the stream's hold key
 * with PX and broadcasts on the same channel; every worker is paused until the key expires.
 */
import { PAUSE_MESSAGE } from '../admin/pause.js';
import { PAUSE_POLL_MS } from '../constants.js';
import type { StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import type { ErrorReporter } from './error-reporter.js';
import type { StreamReader } from './stream-reader.js';

export class PauseControl {
  /** Stream keys on which the group is paused now. */
  private readonly paused = new Set<string>();
  private subscriber: RedisConnection | undefined;
  private waiters: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Re-reads the state when the earliest hold ends. */
  private holdTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private again = false;

  /** Before the first read (a worker started while paused takes nothing): reads the state, subscribes, starts polling, and makes `readers` leave paused streams out of their reads. */
  static async open(
    connection: RedisConnection,
    streams: readonly StreamKeys[],
    group: string,
    readers: readonly StreamReader[],
    onChange: () => void,
    errors: Pick<ErrorReporter, 'report'>,
  ): Promise<PauseControl> {
    const pauseKeys = new Map(streams.map((k) => [k.stream, { pause: k.paused(group), hold: k.rateLimitHold(group) }]));
    const control = new PauseControl(connection, pauseKeys, onChange, (source, error) => errors.report(source, error));
    await control.start();
    for (const reader of readers) reader.activeKeys = (streamKeys) => control.activeKeys(streamKeys);
    return control;
  }

  private constructor(
    private readonly connection: RedisConnection,
    /** Stream key → its pause key (also the channel) and hold key for this group; the partitions of a stream share its keys. */
    private readonly pauseKeys: Map<string, { pause: string; hold: string }>,
    /** Called when the state changed: wakes blocking reads. */
    private readonly onChange: () => void,
    private readonly onError: (source: string, error: Error) => void,
  ) {}

  /** Reads the state once, then subscribes on a connection of its own. Subscribing may fail (ACL): polling still works. */
  private async start(): Promise<void> {
    await this.run();
    this.timer = setInterval(() => this.refresh(), PAUSE_POLL_MS).unref();
    try {
      const subscriber = (this.subscriber = await this.connection.duplicate(`${this.connection.name}-control`));
      subscriber.on('connection-error', (error: Error) => this.onError('pause subscriber', error));
      subscriber.on('status', (status) => {
        if (status === 'connected') this.refresh();
      });
      await subscriber.subscribe([...new Set([...this.pauseKeys.values()].map((k) => k.pause))], () => {
        this.refresh();
      });
    } catch (error) {
      this.onError('pause subscribe (pause and resume now take effect within a second, by polling)', error as Error);
    }
  }

  /** RateLimitedError: holds the whole group back on this stream for `ms` (every worker, this one at once). */
  async holdBack(streamKey: string, ms: number): Promise<void> {
    const keys = this.pauseKeys.get(streamKey)!;
    // At once, before Redis answers: no held entry of this stream starts meanwhile.
    this.paused.add(streamKey);
    await this.connection.send(['SET', keys.hold, '1', 'PX', ms]);
    await this.connection.send(['PUBLISH', keys.pause, PAUSE_MESSAGE.paused]);
    await this.run();
  }

  /** Sources added while running (partition growth; their pause key is their stream's, already subscribed): reads their state now. */
  async track(streams: readonly StreamKeys[], group: string): Promise<void> {
    for (const k of streams) this.pauseKeys.set(k.stream, { pause: k.paused(group), hold: k.rateLimitHold(group) });
    await this.run();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.holdTimer);
    this.release();
    await this.subscriber?.close();
  }

  isPaused(streamKey: string): boolean {
    return this.paused.has(streamKey);
  }

  /** The keys of `streamKeys` whose group is not paused. */
  activeKeys(streamKeys: readonly string[]): readonly string[] {
    if (this.paused.size === 0) return streamKeys;
    return streamKeys.filter((key) => !this.paused.has(key));
  }

  /** Resolves at the next change of the state (or close()). */
  nextChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A refresh in the background, never two at once; a failure is reported and the next poll tries again. */
  private refresh(): void {
    // A broadcast during a read may come after that read's GET: read once more after it.
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = this.run()
      .catch((error: Error) => this.onError('pause state refresh', error))
      .finally(() => {
        this.refreshing = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Re-reads every pause and hold key (each its own command: the keys may live in different cluster slots). */
  private async run(): Promise<void> {
    const entries = [...this.pauseKeys];
    const states = await Promise.all(
      entries.map(([, keys]) => Promise.all([this.connection.send<string | null>(['GET', keys.pause]), this.connection.send<number>(['PTTL', keys.hold])])),
    );
    let changed = false;
    let nextHoldEnd = Infinity;
    entries.forEach(([streamKey], i) => {
      const [mark, holdMs] = states[i];
      if (holdMs > 0) nextHoldEnd = Math.min(nextHoldEnd, holdMs);
      const paused = mark !== null || holdMs > 0;
      if (paused === this.paused.has(streamKey)) return;
      changed = true;
      if (paused) this.paused.add(streamKey);
      else this.paused.delete(streamKey);
    });
    clearTimeout(this.holdTimer);
    if (nextHoldEnd !== Infinity) this.holdTimer = setTimeout(() => this.refresh(), nextHoldEnd + 1).unref();
    if (!changed) return;
    this.release();
    this.onChange();
  }

  private release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
