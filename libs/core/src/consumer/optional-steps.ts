/**
 * Steps a consumer can go without (reclaiming dead consumers' entries, re-reading its own
 * pending entries at start): when Redis refuses one with NOPERM, reading goes on. The
 * refusal is logged once per step with the missing permission, counted
 * (`permissionRefused`, the metric `redstream_permission_refused_total`), and the step
 * is tried again at its next turn, so granting the permission later is enough.
 */
import type { Logger } from '../options.js';
import { isErrorReply } from '../redis/connection.js';
import type { ConsumerObserver } from './received-message.js';

export class OptionalSteps {
  private readonly warned = new Set<string>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly observer: () => ConsumerObserver,
  ) {}

  /** Runs `work`; a NOPERM is reported and `fallback` returned, any other error is thrown. */
  async run<T>(step: string, fallback: T, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!isErrorReply(error, 'NOPERM')) throw error;
      this.refused(step, error as Error);
      return fallback;
    }
  }

  refused(step: string, error: Error): void {
    this.observer().permissionRefused?.(step);
    if (this.warned.has(step)) return;
    this.warned.add(step);
    this.logger.warn(`${step} skipped: ${error.message}. Consuming goes on and the step is tried again later; grant the permission (README "Security")`);
  }
}
