/**
 * Errors of background work (reads, acks, leases, retries, tasks): every one goes to the
 * listener (the consumer's `consumer-error` event); the log gets at most one line per
 * source every 5 s, so an outage does not flood it.
 */
import { ERROR_LOG_INTERVAL_MS } from '../constants.js';
import type { Logger } from '../options.js';

export type ErrorListener = (error: Error, source: string) => void;

export class ErrorReporter {
  private readonly lastLogged = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly listener: ErrorListener,
  ) {}

  report(source: string, error: Error): void {
    this.listener(error, source);
    const now = Date.now();
    if (now - (this.lastLogged.get(source) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
    this.lastLogged.set(source, now);
    this.logger.error(`${source} failed: ${error?.message ?? error}`);
  }
}
