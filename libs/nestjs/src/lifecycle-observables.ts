/**
 * The Observables behind `client.watch` and `client.events`: lifecycle events
 * (`rs:{s}:events`, written by workers with `events: true`) read with XREAD BLOCK on a
 * connection of their own per subscription, closed on unsubscribe.
 */
import {
  getJobStatus,
  lastLifecycleEventId,
  readLifecycleEvents,
  type JobState,
  type LifecycleEvent,
  type LifecycleEventState,
  type RedisConnection,
  type StreamProducer,
} from '@redstream/core';
import { Observable } from 'rxjs';

/** What `watch` emits: first the state per group (from getJobStatus, without `eventId`), then each event. */
export interface JobWatchEvent {
  entryId: string;
  group: string;
  state: JobState | LifecycleEventState;
  deliveries: number;
  consumer?: string;
  progress?: unknown;
  error?: string;
  at?: number;
  eventId?: string;
}

const BLOCK_MS = 1_000;
const FINAL: ReadonlySet<string> = new Set(['completed', 'dead-lettered']);

export function lifecycleEvents(producer: Promise<StreamProducer>, stream: string): Observable<LifecycleEvent> {
  return follow(producer, stream, async (_connection, start) => ({ after: await start(), emit: (event, next) => next(event) }));
}

export function watchJob(producer: Promise<StreamProducer>, stream: string, id: string): Observable<JobWatchEvent> {
  return new Observable<JobWatchEvent>((subscriber) => {
    const pending = new Set<string>();
    let entryId = '';
    const inner = follow<JobWatchEvent>(producer, stream, async (connection, start) => {
      const after = await start(); // before the snapshot: an event between the two is seen twice, never missed
      const p = await producer;
      const status = await getJobStatus(connection, p.keys, stream, id);
      if (status.entryId === null) throw new Error(`watch("${stream}", "${id}"): no entry found for that id (a delayed message can be watched once it is in the stream, by its entry id)`);
      if (status.groups.length === 0) throw new Error(`watch("${stream}", "${id}"): the stream has no consumer group yet, so there is nothing to follow; watch once a worker has started`);
      entryId = status.entryId;
      // Another level's or partition's entry may have the same id: only the events of this one's count.
      const level = status.priority ?? 'normal';
      const partition = status.partition;
      for (const group of status.groups) {
        subscriber.next({ entryId, ...group });
        if (!FINAL.has(group.state)) pending.add(group.group);
      }
      if (pending.size === 0) subscriber.complete();
      return {
        after,
        emit: (event, next) => {
          if (event.entryId !== entryId || (event.priority ?? 'normal') !== level || event.partition !== partition) return;
          next(event);
          if (FINAL.has(event.state)) pending.delete(event.group);
          if (pending.size === 0) subscriber.complete();
        },
      };
    }).subscribe(subscriber);
    return () => inner.unsubscribe();
  });
}

type Follower<T> = (
  connection: RedisConnection,
  start: () => Promise<string>,
) => Promise<{ after: string; emit: (event: LifecycleEvent, next: (value: T) => void) => void }>;

function follow<T>(producer: Promise<StreamProducer>, stream: string, begin: Follower<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    let reader: RedisConnection | undefined;
    let closed = false;
    void (async () => {
      const p = await producer;
      reader = await p.connection.duplicate('redstream-events');
      if (closed) return reader.disconnect();
      const { after, emit } = await begin(p.connection, () => lastLifecycleEventId(p.connection, p.keys, stream));
      let cursor = after;
      while (!closed && !subscriber.closed) {
        for (const event of await readLifecycleEvents(reader, p.keys, stream, cursor, BLOCK_MS)) {
          cursor = event.eventId;
          emit(event, (value) => subscriber.next(value));
        }
      }
    })().catch((error: unknown) => {
      if (!closed) subscriber.error(error);
    }).finally(() => void reader?.disconnect());
    return () => {
      closed = true;
      void reader?.disconnect();
    };
  });
}
