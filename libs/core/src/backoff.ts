/**
 * The one backoff formula of redstream, used for handler retries (`backoff` options) and
 * for reconnects and failed reads (RECONNECT_BACKOFF).
 */
export interface BackoffPolicy {
  /** Delay after the first failure; doubles with each further one. */
  readonly delayMs: number;
  readonly maxDelayMs: number;
  /** Equal jitter: a random delay between half and all of the computed one. */
  readonly jitter: boolean;
}

/**
 * Delay before the next attempt after `deliveries` failed ones: exponential
 * (`delayMs * 2^(deliveries-1)`), capped at `maxDelayMs`, with "equal jitter"
 * (a random value between half and all of it) so that a burst of failures does not
 * retry in lockstep.
 */
export function backoffDelay(deliveries: number, options: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(deliveries - 1, 30));
  const capped = Math.min(options.maxDelayMs, options.delayMs * 2 ** exponent);
  if (!options.jitter) return capped;
  return Math.round(capped / 2 + random() * (capped / 2));
}
