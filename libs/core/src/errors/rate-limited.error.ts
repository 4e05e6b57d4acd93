import { RedstreamError } from './redstream.error.js';

/**
 * Thrown by a handler (e.g. on an upstream 429): holds back every worker of the group on this
 * stream for `retryAfterMs`, without counting a delivery; the entry runs again after the hold.
 */
export class RateLimitedError extends RedstreamError {
  constructor(
    readonly retryAfterMs: number,
    message = `Rate limited: the group holds back for ${retryAfterMs} ms.`,
  ) {
    super('ERR_RATE_LIMITED', message);
    if (!Number.isInteger(retryAfterMs) || retryAfterMs < 1) {
      throw new RangeError(`RateLimitedError: retryAfterMs must be a positive integer number of ms, got ${String(retryAfterMs)}.`);
    }
  }
}
