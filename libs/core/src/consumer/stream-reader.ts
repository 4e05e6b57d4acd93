/**
 * One blocking XREADGROUP connection over streams that live on one server. A standalone
 * Redis needs one for all streams; a Redis Cluster needs one per slot, connected to the
 * node that owns it (a multi-key read across slots is refused with CROSSSLOT), which it
 * follows when the slot moves (MOVED) or the node fails over.
 *
 * A read that blocks can be interrupted (CLIENT UNBLOCK, sent on a second connection to
 * the same server) so retries, reclaims and shutdown never wait for `blockMs`.
 */
import { RedstreamError } from '../errors/index.js';
import type { ConnectionOptions, ConnectionStatus } from '../redis/connection.js';
import { isErrorReply, isRedisErrorReply, RedisConnection } from '../redis/connection.js';
import type { LevelKeys } from './priority-read.js';
import type { PriorityLevels } from './priority-levels.js';
import type { RateLimiter, ReadGrant } from './rate-limiter.js';

export type XReadReply = [string, [string, string[] | null][]][] | null;

export interface ReaderConnections {
  /** The blocking connection. */
  reader: RedisConnection;
  /** A non-blocking connection to the same server, for CLIENT UNBLOCK. */
  control: RedisConnection;
  /** Whether `control` belongs to this reader (and is closed with it). */
  ownsControl: boolean;
}

export class StreamReader {
  private readonly readArgs: string[];
  /** Which of `streamKeys` to read now (set by the consumer: streams whose group is paused are left out). */
  activeKeys: (streamKeys: readonly string[]) => readonly string[] = (keys) => keys;
  /** Rate-limited streams: each read asks it for a grant first (rate-limiter.ts). */
  limiter: RateLimiter | undefined;
  /** Priority levels: streams with levels in use are read level by level (priority-levels.ts). */
  levels: PriorityLevels | undefined;
  /** Ends a wait for the rate limit early (unblock()). */
  private endWait: (() => void) | undefined;
  private connections: ReaderConnections;
  private readerId: string | undefined;
  private blocked = false;
  /** CLIENT ID refused (NOPERM): reads then run without being interruptible. */
  private clientIdRefused = false;

  constructor(
    readonly streamKeys: readonly string[],
    connections: ReaderConnections,
    /** Opens fresh connections to wherever the streams live now (cluster: after MOVED or failover). */
    private readonly reopen: (() => Promise<ReaderConnections>) | undefined,
    private readonly onStatus: (status: ConnectionStatus) => void,
    private readonly onError: (error: Error) => void,
  ) {
    this.readArgs = ['STREAMS', ...streamKeys, ...streamKeys.map(() => '>')];
    this.connections = connections;
    this.watch(connections.reader);
  }

  /** False while every stream of this reader is left out (paused): the read loop waits instead of reading. */
  get hasActiveStreams(): boolean {
    return this.activeKeys(this.streamKeys).length > 0;
  }

  get connection(): RedisConnection {
    return this.connections.reader;
  }

  async read(group: string, consumer: string, count: number, blockMs: number, shouldBlock: () => boolean): Promise<XReadReply> {
    const reader = this.connections.reader;
    if (this.readerId === undefined && !this.clientIdRefused) await this.learnClientId(reader);
    this.moreWaiting = false;
    let active = this.activeKeys(this.streamKeys);
    const grant = this.limiter ? await this.limiter.grant(active, count) : undefined;
    if (grant !== undefined) {
      active = grant.keys;
      // A stream left out for its limit is asked again when Redis said a token is due.
      blockMs = Math.max(1, Math.min(blockMs, Math.ceil(grant.retryAt - Date.now())));
      if (active.length === 0) {
        if (shouldBlock()) await this.waitForLimit(blockMs);
        return null;
      }
    }
    const levels = this.levels?.keysByLevel(active);
    if (levels !== undefined) return this.readLevels(levels, group, consumer, grant?.count ?? count, blockMs, shouldBlock, grant);
    // The same array when nothing is left out: the common read builds no new arguments.
    const streams = active === this.streamKeys ? this.readArgs : ['STREAMS', ...active, ...active.map(() => '>')];
    this.blocked = true;
    let reply: XReadReply = null;
    try {
      // Checked after `blocked` is set, so a wake-up between the two is not lost.
      if (!shouldBlock()) return null;
      reply = await reader.send<XReadReply>([
        'XREADGROUP', 'GROUP', group, consumer, 'COUNT', String(grant?.count ?? count), 'BLOCK', String(blockMs), ...streams,
      ]);
      return reply;
    } finally {
      this.blocked = false;
      grant?.settle(reply);
    }
  }

  private async readLevels(
    levels: LevelKeys, group: string, consumer: string, count: number, blockMs: number, shouldBlock: () => boolean, grant: ReadGrant | undefined,
  ): Promise<XReadReply> {
    let reply: XReadReply = null;
    // Set first, as for the plain read, so a wake-up in between is not lost.
    this.blocked = true;
    try {
      if (!shouldBlock()) return null;
      const read = await this.levels!.reads.read(this.connections.reader, levels, { group, consumer, count, blockMs, beforeBlock: shouldBlock });
      reply = read.reply;
      this.moreWaiting = read.moreWaiting;
      return reply;
    } finally {
      this.blocked = false;
      grant?.settle(reply);
    }
  }

  /** The last read came back short, yet a priority level filled its share: more may be waiting (priority-read.ts). */
  moreWaiting = false;

  /** Every stream key this reader reads, priority levels included. */
  get allStreamKeys(): readonly string[] {
    return this.levels?.inUse ? this.levels.allKeys(this.streamKeys) : this.streamKeys;
  }

  /** Every stream of this reader waits for its rate limit: sleeps until a token is due, or unblock(). */
  private waitForLimit(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.endWait?.(), ms);
      this.endWait = () => {
        clearTimeout(timer);
        this.endWait = undefined;
        resolve();
      };
    });
  }

  private async learnClientId(reader: RedisConnection): Promise<void> {
    try {
      this.readerId = String(await reader.send(['CLIENT', 'ID']));
    } catch (error) {
      if (!isErrorReply(error, 'NOPERM')) throw error;
      this.clientIdRefused = true;
      this.onError(
        new RedstreamError(
          'ERR_NOPERM',
          `CLIENT ID refused (${(error as Error).message}): blocking reads cannot be interrupted, so retries, reclaims and shutdown wait up to blockMs; grant +client|id and +client|unblock`,
        ),
      );
    }
  }

  /** Interrupts a blocking read now; a no-op when none is under way. */
  unblock(): void {
    this.endWait?.();
    const { control } = this.connections;
    if (!this.blocked || this.readerId === undefined || !control.isReady) return;
    control.send(['CLIENT', 'UNBLOCK', this.readerId]).catch(() => undefined);
  }

  /** True when the error means the streams are served elsewhere now and the reader must follow. */
  mustRelocate(error: unknown): boolean {
    if (this.reopen === undefined) return false;
    // A node that went away fails fast (no offline queue on cluster readers); its slot may be served elsewhere now.
    return !isRedisErrorReply(error) || isErrorReply(error, 'MOVED') || isErrorReply(error, 'ASK') || isErrorReply(error, 'CLUSTERDOWN');
  }

  async relocate(): Promise<void> {
    if (!this.reopen) return;
    const next = await this.reopen();
    const previous = this.connections;
    this.connections = next;
    this.readerId = undefined;
    this.watch(next.reader);
    await closeConnections(previous);
  }

  async close(): Promise<void> {
    await closeConnections(this.connections);
  }

  private watch(reader: RedisConnection): void {
    reader.on('connection-error', (error: Error) => this.onError(error));
    reader.on('status', (status: ConnectionStatus) => {
      if (status !== 'connected') this.readerId = undefined;
      if (reader === this.connections.reader) this.onStatus(status);
    });
  }
}

async function closeConnections(connections: ReaderConnections): Promise<void> {
  await connections.reader.disconnect();
  if (connections.ownsControl) await connections.control.close();
}

/**
 * The reader layout: a standalone Redis has one reader for every stream; a cluster has
 * one per slot, connected to the node serving it, each with its own control connection.
 */
export async function openStreamReaders(
  command: RedisConnection,
  connection: ConnectionOptions,
  streamKeys: readonly string[],
  name: string,
  onStatus: (status: ConnectionStatus) => void,
  onError: (error: Error) => void,
): Promise<StreamReader[]> {
  if (!command.isCluster) {
    const reader = await RedisConnection.open(connection, name);
    return [new StreamReader(streamKeys, { reader, control: command, ownsControl: false }, undefined, onStatus, onError)];
  }
  const bySlot = new Map<number, string[]>();
  for (const key of streamKeys) {
    const slot = RedisConnection.slotOf(key);
    bySlot.set(slot, [...(bySlot.get(slot) ?? []), key]);
  }
  const readers: StreamReader[] = [];
  for (const keys of bySlot.values()) {
    const open = async () => {
      const node = command.endpointOf(keys[0]);
      const reader = await command.openNode(node, name);
      return { reader, control: await command.openNode(node, `${name}-control`), ownsControl: true };
    };
    readers.push(new StreamReader(keys, await open(), open, onStatus, onError));
  }
  return readers;
}
