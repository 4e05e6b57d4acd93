/**
 * The two paths that take back what this consumer still owns: on start, the entries its
 * name has pending from a previous life (a restart in the same pod keeps the name), and
 * a failed entry whose backoff has passed (claim-own-1.lua). Each reserves its slots in
 * the dispatcher, hands what it got over, and gives back the rest.
 */
import type { ResolvedConsumerOptions } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import type { Dispatcher } from './dispatcher.js';
import type { ErrorReporter } from './error-reporter.js';
import type { OptionalSteps } from './optional-steps.js';
import type { Subscription, WaitingRetry } from './held-message.js';
import type { RetryScheduler } from './retry-scheduler.js';
import type { RunControl } from './run-control.js';

/** One row of XPENDING's extended form: id, consumer, idle ms, deliveries so far. */
type PendingRow = [string, string, number, number];

export class OwnEntries {
  constructor(
    private readonly connection: RedisConnection,
    private readonly options: Pick<ResolvedConsumerOptions, 'group' | 'consumer' | 'readCount'>,
    private readonly subscriptions: ReadonlyMap<string, Subscription>,
    private readonly dispatcher: Dispatcher,
    private readonly retries: RetryScheduler<WaitingRetry>,
    private readonly errors: ErrorReporter,
    private readonly control: RunControl,
    /** Where a refused XPENDING / XCLAIM of the re-read at start is reported; without it the refusal is thrown. */
    private readonly optional?: OptionalSteps,
  ) {}

  /** Takes back, before anything new is read, every entry this consumer name still owns. */
  async rereadOwnPending(): Promise<void> {
    if (this.optional) return this.optional.run('re-reading own pending entries (XPENDING, XCLAIM)', undefined, () => this.takeBackOwnPending());
    return this.takeBackOwnPending();
  }

  private async takeBackOwnPending(): Promise<void> {
    for (const subscription of this.subscriptions.values()) {
      for (const streamKey of subscription.streamKeys) await this.takeBackOwnPendingOf(subscription, streamKey);
    }
  }

  private async takeBackOwnPendingOf(subscription: Subscription, streamKey: string): Promise<void> {
    let after = '-';
    for (;;) {
      const count = this.dispatcher.reserve(this.options.readCount);
      if (count === 0) {
        await this.dispatcher.nextSlotChange();
        if (this.control.stopping) return;
        continue;
      }
      let accepted = 0;
      let rows: PendingRow[];
      try {
        rows = await this.ownPending(streamKey, after, count);
        if (rows.length === 0) break;
        after = `(${rows[rows.length - 1][0]}`;
        const claimed = await this.claimBack(streamKey, rows);
        // XCLAIM counts this delivery; XPENDING's counter was read before it.
        const counts = new Map(rows.map((row) => [row[0], row[3] + 1]));
        accepted = claimed.length;
        for (const [entryId, fields] of claimed) this.dispatcher.accept(subscription, entryId, fields, counts.get(entryId) ?? 1, streamKey);
      } finally {
        // A failed XPENDING or XCLAIM must not keep the slots it took: the consumer would stall.
        this.dispatcher.unreserve(count - accepted);
      }
      if (rows.length < count) break;
    }
  }

  /** Takes back the retries whose backoff has passed, as many as there are free slots. */
  async takeBackDueRetries(): Promise<void> {
    const due = this.retries.takeDue(this.dispatcher.freeSlots);
    if (due.length === 0) return;
    this.dispatcher.reserve(due.length);
    await Promise.all(
      due.map(async (retry) => {
        let accepted = false;
        try {
          const reply = await LuaSteps.claimOwn(this.connection, { stream: retry.streamKey }, {
            group: this.options.group, consumer: this.options.consumer, entryId: retry.entryId, keepCount: retry.keepCount,
          });
          if (reply === null) return;
          accepted = true;
          this.dispatcher.accept(retry.subscription, retry.entryId, reply.fields, reply.deliveryCount, retry.streamKey);
        } catch (error) {
          // Still pending on this consumer: the reclaimer will deliver it again.
          this.errors.report('retry', error as Error);
        } finally {
          if (!accepted) this.dispatcher.unreserve(1);
        }
      }),
    );
  }

  private ownPending(streamKey: string, after: string, count: number): Promise<PendingRow[]> {
    return this.connection.send<PendingRow[]>([
      'XPENDING', streamKey, this.options.group, 'IDLE', '0', after, '+', String(count), this.options.consumer,
    ]);
  }

  /** MIN-IDLE-TIME: an entry another consumer reclaimed in between has a fresh idle time and is left alone. */
  private claimBack(streamKey: string, rows: readonly PendingRow[]): Promise<[string, string[] | null][]> {
    const minIdle = Math.min(...rows.map((row) => row[2]));
    return this.connection.send<[string, string[] | null][]>([
      'XCLAIM', streamKey, this.options.group, this.options.consumer, String(minIdle), ...rows.map((row) => row[0]),
    ]);
  }
}
