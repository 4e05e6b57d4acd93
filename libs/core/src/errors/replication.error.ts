import { RedstreamError } from './redstream.error.js';

/**
 * `waitForReplicas`: WAIT after the write reported fewer replicas than asked for. The
 * entry is on the primary (and will normally reach the replicas later); it is lost only
 * if the primary fails before then.
 */
export class ReplicationError extends RedstreamError {
  constructor(
    readonly stream: string,
    readonly entryId: string,
    readonly acknowledged: number,
    readonly replicas: number,
    readonly timeoutMs: number,
  ) {
    super(
      'ERR_REPLICATION',
      `Entry ${entryId} of stream "${stream}" was written on the primary, but only ${acknowledged} of ${replicas} replica(s) ` +
        `acknowledged it within ${timeoutMs} ms, so a failover now could lose it. It was not removed: publishing it again ` +
        'adds a second copy unless the message has an idempotency key. Check the replicas (INFO replication) or lower waitForReplicas.replicas.',
    );
  }
}
