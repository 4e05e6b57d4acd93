import { RedstreamError } from './redstream.error.js';

/**
 * An entry came back more often than `maxDeliveries` without its handler ever failing
 * cleanly (the worker crashed or was killed each time): it is dead-lettered unrun.
 */
export class MaxDeliveriesError extends RedstreamError {
  constructor(entryId: string, deliveries: number, maxDeliveries: number) {
    super(
      'ERR_MAX_DELIVERIES',
      `entry ${entryId} was delivered ${deliveries} times (maxDeliveries ${maxDeliveries}) without being acknowledged; its handler never finished (worker crashed or was killed each time)`,
    );
  }
}
