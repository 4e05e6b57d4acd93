import { RedstreamError } from './redstream.error.js';

/**
 * A batch handler's partial failure: thrown or returned by the handler, it names the messages
 * of the batch that failed (by entry id or message id). Those are retried (or dead-lettered)
 * one by one, each with its own error from `failed` when it is a map, else with `cause`; every
 * other message of the batch succeeded and is acked.
 *
 * ```ts
 * const rejected = await db.bulkInsert(rows);               // e.g. the rows the database refused
 * if (rejected.length > 0) throw new BatchFailure(rejected.map((r) => r.entryId), new Error('constraint violated'));
 * ```
 */
export class BatchFailure extends RedstreamError {
  /** The failed messages' ids (entry ids or message ids) and each one's error. */
  readonly failures: ReadonlyMap<string, unknown>;

  constructor(failed: Iterable<string> | ReadonlyMap<string, unknown>, cause?: unknown) {
    const failures = new Map<string, unknown>();
    if (failed instanceof Map) for (const [id, error] of failed as ReadonlyMap<string, unknown>) failures.set(String(id), error ?? cause);
    else for (const id of failed as Iterable<string>) failures.set(String(id), cause);
    const reason = cause instanceof Error ? `: ${cause.message}` : cause === undefined ? '' : `: ${String(cause)}`;
    super('ERR_BATCH_FAILURE', `${failures.size} message(s) of the batch failed${reason}`, cause === undefined ? undefined : { cause });
    this.failures = failures;
    for (const [id, error] of failures) if (error === undefined) failures.set(id, this);
  }
}

/**
 * A BatchFailure named ids that are not in the batch: the whole batch is retried, since acking
 * the others could ack a message that in fact failed.
 */
export class BatchFailureMismatchError extends RedstreamError {
  constructor(
    readonly unknownIds: readonly string[],
    readonly batchSize: number,
  ) {
    const shown = unknownIds.slice(0, 5).join(', ') + (unknownIds.length > 5 ? ', …' : '');
    super(
      'ERR_BATCH_FAILURE_IDS',
      `BatchFailure named ${unknownIds.length} id(s) not in the batch of ${batchSize} (${shown}); the whole batch is retried. ` +
        'Name failed messages by their entryId or messageId.',
    );
  }
}
