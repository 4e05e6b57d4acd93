/**
 * What a failed delivery leads to: a dead letter (and why), or another delivery after the
 * backoff. Pure, so every rule is visible and tested in one place.
 */
import { HandlerTimeoutError, UnrecoverableError } from '../errors/index.js';
import type { DeadLetterReason } from './received-message.js';

/**
 * The reason to dead-letter an entry whose handler failed on delivery `deliveryCount`, or
 * undefined to retry it: unrecoverable errors (UnrecoverableError, or the user's
 * `isUnrecoverable`, which is not allowed to throw its way out) go at once; other errors
 * once `maxDeliveries` is reached — as `timeout` when the last delivery timed out.
 */
export function deadLetterReasonFor(
  error: unknown,
  deliveryCount: number,
  maxDeliveries: number,
  isUnrecoverable: (error: unknown) => boolean,
): DeadLetterReason | undefined {
  if (error instanceof UnrecoverableError || safely(isUnrecoverable, error)) return 'unrecoverable';
  if (deliveryCount < maxDeliveries) return undefined;
  return error instanceof HandlerTimeoutError ? 'timeout' : 'max-deliveries';
}

function safely(isUnrecoverable: (error: unknown) => boolean, error: unknown): boolean {
  try {
    return isUnrecoverable(error);
  } catch {
    return false;
  }
}
