/**
 * Durable publish (`waitForReplicas`): WAIT once the write is acknowledged, so a publish
 * resolves only when that many replicas have the entry. WAIT blocks its connection and
 * covers every write acknowledged on it before, so publishes to one stream whose writes
 * were acknowledged in the same tick (the replies of one pipelined burst) share one WAIT;
 * a burst costs one replication round trip, not one per message.
 */
import { ReplicationError } from '../errors/index.js';
import type { RedisConnection } from '../redis/connection.js';
import type { PublishResult } from './stream-producer.js';

export interface WaitForReplicas {
  /** How many replicas must have the entry. */
  replicas: number;
  /** How long WAIT may block, ms (0 would block forever and is not allowed). */
  timeoutMs: number;
}

export class ReplicaWait {
  private readonly scheduled = new Map<string, Promise<number>>();

  constructor(private readonly connection: RedisConnection) {}

  /** Resolves with `result` once `wait.replicas` replicas acknowledged the write, else rejects with ReplicationError. */
  after(stream: string, streamKey: string, write: Promise<PublishResult>, wait: WaitForReplicas): Promise<PublishResult> {
    return write.then((result) =>
      this.waitOnce(streamKey, wait).then((count) => {
        if (count < wait.replicas) throw new ReplicationError(stream, result.entryId, count, wait.replicas, wait.timeoutMs);
        return result;
      }),
    );
  }

  private waitOnce(streamKey: string, wait: WaitForReplicas): Promise<number> {
    const id = `${streamKey}\n${wait.replicas}\n${wait.timeoutMs}`;
    let pending = this.scheduled.get(id);
    if (pending === undefined) {
      // Sent from a microtask, so that the other writes acknowledged in this tick join it.
      pending = Promise.resolve().then(() => {
        this.scheduled.delete(id);
        return this.connection.sendRoutedBy<number>(streamKey, ['WAIT', wait.replicas, wait.timeoutMs]);
      });
      this.scheduled.set(id, pending);
    }
    return pending;
  }
}
