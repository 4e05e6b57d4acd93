/**
 * Writes what Redis does not keep about a failed entry — its error, the delivery that
 * failed, when it is retried, that it was dead-lettered — to the entry's tracking hash
 * (`rs:{s}:job:<entryId>`, fields `<group>:<name>`, TTL `tracking.ttlMs`). A consumer
 * observer that listens to failures only: the success path writes nothing for job status.
 * A handler's `reportProgress` writes the same hash, once per call.
 */
import type { ConsumerObserver, HandlerFailure, ReceivedMessage } from '../consumer/received-message.js';
import { InvalidProgressError } from '../errors/index.js';
import { levelOfKey, type KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';

/** Longest error message kept in a tracking hash; the dead letter keeps the full one and the stack. */
const MAX_ERROR_LENGTH = 2_000;

export type TrackedState = 'retrying' | 'dead-lettered';

/** One group's fields of a tracking hash, as read back by getJobStatus. */
export interface TrackedJob {
  state?: TrackedState;
  /** The delivery count of the last failed delivery. */
  failedDelivery?: number;
  error?: string;
  retryAt?: number;
  progress?: unknown;
  updatedAt?: number;
}

export class JobTracker implements ConsumerObserver {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly group: string,
    private readonly ttlMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** The entry's tracking hash on its level: entry ids of two level streams may be equal. */
  private jobKey(stream: string, streamKey: string | undefined, entryId: string): string {
    const keys = this.keys.forStream(stream);
    return (streamKey === undefined ? keys : keys.level(levelOfKey(streamKey))).job(entryId);
  }

  /** A handler's progress report: written at once (awaitable), with the hash's TTL. */
  progress(message: ReceivedMessage, value: unknown): Promise<void> {
    let encoded: string;
    try {
      encoded = encodeProgress(value);
    } catch (error) {
      return Promise.reject(error);
    }
    const fields = [`${this.group}:progress`, encoded, `${this.group}:updatedAt`, String(Date.now())];
    return LuaSteps.trackJob(this.connection, { job: this.jobKey(message.stream, message.streamKey, message.entryId) }, { ttlMs: this.ttlMs, fields });
  }

  failed(failure: HandlerFailure): void {
    const g = this.group;
    const error = failure.error instanceof Error ? failure.error.message : String(failure.error);
    const fields = [
      `${g}:state`, failure.deadLettered ? 'dead-lettered' : 'retrying',
      `${g}:failedDelivery`, String(failure.deliveries),
      `${g}:error`, error.slice(0, MAX_ERROR_LENGTH),
      `${g}:retryAt`, failure.retryAt === undefined ? '' : String(failure.retryAt),
      `${g}:updatedAt`, String(Date.now()),
    ];
    LuaSteps.trackJob(this.connection, { job: this.jobKey(failure.stream, failure.streamKey, failure.entryId) }, { ttlMs: this.ttlMs, fields }).catch(
      (e: Error) => this.onError(e),
    );
  }
}

/** Longest progress object kept, serialized: the tracking hash is not a result store. */
export const MAX_PROGRESS_LENGTH = 1_024;

/** The JSON of a valid progress value: a number 0-100 or a small plain object. */
export function encodeProgress(value: unknown): string {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0 && value <= 100) return String(value);
    throw new InvalidProgressError(value, MAX_PROGRESS_LENGTH);
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    let encoded: string | undefined;
    try {
      encoded = JSON.stringify(value);
    } catch {
      encoded = undefined;
    }
    if (encoded !== undefined && encoded.length <= MAX_PROGRESS_LENGTH) return encoded;
  }
  throw new InvalidProgressError(value, MAX_PROGRESS_LENGTH);
}

/** The fields of `group` in a tracking hash (HGETALL reply as an object). */
export function readTrackedJob(hash: Record<string, string>, group: string): TrackedJob {
  const field = (name: string) => {
    const value = hash[`${group}:${name}`];
    return value === undefined || value === '' ? undefined : value;
  };
  const number = (name: string) => {
    const value = field(name);
    return value === undefined ? undefined : Number(value);
  };
  const progress = field('progress');
  return {
    state: field('state') as TrackedState | undefined,
    failedDelivery: number('failedDelivery'),
    error: field('error'),
    retryAt: number('retryAt'),
    progress: progress === undefined ? undefined : JSON.parse(progress),
    updatedAt: number('updatedAt'),
  };
}
