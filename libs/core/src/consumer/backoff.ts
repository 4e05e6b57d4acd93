import type { BackoffOptions } from '../options.js';

/**
 * Delay before the next delivery after `deliveries` failed ones: exponential
 * (`delayMs * 2^(deliveries-1)`), capped at `maxDelayMs`, with "equal jitter"
 * (a random value between half and all of it) so that a burst of failures does not
 * retry in lockstep.
 */
export function backoffDelay(deliveries: number, options: Required<BackoffOptions>, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.min(deliveries - 1, 30));
  const capped = Math.min(options.maxDelayMs, options.delayMs * 2 ** exponent);
  if (!options.jitter) return capped;
  return Math.round(capped / 2 + random() * (capped / 2));
}
