/**
 * Lifecycle events (`events: true`): each entry's transitions as entries of the capped stream
 * `rs:{s}:events` — `active` when a handler starts, `progress` on each report, `completed` when
 * its ack is queued (it goes out in the ack batch's flush), `retrying` with the error,
 * `dead-lettered` once the dead letter is written. Batched like acks: the events of a few ms go
 * out in one Lua call per stream (append-events-1.lua), never awaited by the handler path;
 * nothing at all when off. A partition's events go to its logical stream's `rs:{s}:events`
 * with the field `partition`, so `client.events(stream)` follows every partition, also ones
 * added later (each partition's entry ids are its own, so two may be equal, as with levels).
 */
import type { ConsumerObserver, HandlerFailure, ReceivedMessage } from '../consumer/received-message.js';
import { levelOfKey, parsePartitionName, type KeyBuilder, type PriorityLevel } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

export const LIFECYCLE_EVENT_STATES = ['active', 'progress', 'completed', 'retrying', 'dead-lettered'] as const;
export type LifecycleEventState = (typeof LIFECYCLE_EVENT_STATES)[number];

export interface LifecycleEvent {
  /** Id of the event in `rs:{s}:events`. */
  eventId: string;
  stream: string;
  entryId: string;
  /** The priority level the entry is on, for `high` and `low` (field `priority`; absent: the stream itself). Entry ids of two levels may be equal. */
  priority?: PriorityLevel;
  /** The partition the entry is on, for a partitioned stream (field `partition`). Entry ids of two partitions may be equal. */
  partition?: number;
  group: string;
  consumer: string;
  state: LifecycleEventState;
  deliveries: number;
  /** When it happened, ms since epoch. */
  at: number;
  error?: string;
  progress?: unknown;
}

const MAX_ERROR_LENGTH = 2_000;
/** Events are flushed this long after the first one waiting, or at this many for one stream (as acks are). */
const FLUSH_MS = 2;
const FLUSH_SIZE = 512;

export class LifecycleEventWriter implements ConsumerObserver {
  private readonly pending = new Map<string, string[][]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly group: string,
    private readonly consumer: string,
    private readonly maxLen: number,
    /** The streams whose handlers have events on (all of the consumer's, or per handler; a partitioned stream by its own name). */
    private readonly streams: ReadonlySet<string>,
    private readonly onError: (error: Error) => void,
  ) {}

  started(message: ReceivedMessage): void {
    this.write(message.stream, message.streamKey, message.entryId, 'active', message.deliveryCount);
  }

  succeeded(message: ReceivedMessage): void {
    this.write(message.stream, message.streamKey, message.entryId, 'completed', message.deliveryCount);
  }

  failed(failure: HandlerFailure): void {
    const error = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const state = failure.deadLettered ? 'dead-lettered' : 'retrying';
    this.write(failure.stream, failure.streamKey, failure.entryId, state, failure.deliveries, ['error', error.slice(0, MAX_ERROR_LENGTH)]);
  }

  /** `encoded`: the progress value as the tracking hash keeps it (JSON). */
  progress(message: ReceivedMessage, encoded: string): void {
    this.write(message.stream, message.streamKey, message.entryId, 'progress', message.deliveryCount, ['progress', encoded]);
  }

  /**
   * Events wait for the next flush (FLUSH_MS, or FLUSH_SIZE of one stream) and go out as one Lua
   * call per stream. `streamKey`: the level stream of the entry; a level's events say it.
   */
  private write(name: string, streamKey: string | undefined, entryId: string, state: LifecycleEventState, deliveries: number, extra: string[] = []): void {
    const partition = parsePartitionName(name);
    const stream = partition?.name ?? name;
    if (!this.streams.has(stream)) return;
    let batch = this.pending.get(stream);
    if (batch === undefined) this.pending.set(stream, (batch = []));
    const event = ['entryId', entryId, 'group', this.group, 'consumer', this.consumer, 'state', state, 'deliveries', String(deliveries), 'at', String(Date.now()), ...extra];
    const level = streamKey === undefined ? 'normal' : levelOfKey(streamKey);
    if (level !== 'normal') event.push('priority', level);
    if (partition !== undefined) event.push('partition', String(partition.index));
    batch.push(event);
    if (batch.length >= FLUSH_SIZE) this.flushStream(stream);
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Sends every waiting event (also called on stop, before the connection closes). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return Promise.all([...this.pending.keys()].map((stream) => this.flushStream(stream))).then(() => undefined);
  }

  private flushStream(stream: string): Promise<void> {
    const events = this.pending.get(stream);
    if (events === undefined || events.length === 0) return Promise.resolve();
    this.pending.delete(stream);
    return LuaSteps.appendEvents(this.connection, { events: this.keys.forStream(stream).events }, { maxLen: this.maxLen, events }).then(
      () => undefined,
      (error: Error) => this.onError(error),
    );
  }
}

/** The id of the newest event, to read from there ('0-0' when there is none). */
export async function lastLifecycleEventId(connection: RedisConnection, keys: KeyBuilder, stream: string): Promise<string> {
  const rows = await connection.send<[string, string[]][]>(['XREVRANGE', keys.forStream(stream).events, '+', '-', 'COUNT', '1']);
  return rows[0]?.[0] ?? '0-0';
}

/** Events after `afterId`, waiting up to `blockMs` for the first (XREAD BLOCK: give it a connection of its own). */
export async function readLifecycleEvents(connection: RedisConnection, keys: KeyBuilder, stream: string, afterId: string, blockMs: number): Promise<LifecycleEvent[]> {
  const reply = await connection.send<[string, [string, string[]][]][] | null>(['XREAD', 'COUNT', '500', 'BLOCK', String(blockMs), 'STREAMS', keys.forStream(stream).events, afterId]);
  return (reply?.[0]?.[1] ?? []).map(([eventId, fields]) => toEvent(stream, eventId, fields));
}

function toEvent(stream: string, eventId: string, raw: readonly string[]): LifecycleEvent {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) f[raw[i]] = raw[i + 1];
  return {
    eventId, stream, entryId: f.entryId,
    ...(f.priority !== undefined && { priority: f.priority as PriorityLevel }),
    ...(f.partition !== undefined && { partition: Number(f.partition) }),
    group: f.group, consumer: f.consumer, state: f.state as LifecycleEventState,
    deliveries: Number(f.deliveries), at: Number(f.at),
    ...(f.error !== undefined && { error: f.error }),
    ...(f.progress !== undefined && { progress: JSON.parse(f.progress) }),
  };
}
