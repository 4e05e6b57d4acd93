/**
 * The consumer's job lifecycle units, wired at start: the tracking hash (failures, progress)
 * always, lifecycle events for the streams that have them on (the consumer's `events`, or per
 * handler), and each subscription's `reportProgress` writing to both.
 */
import { DEFAULTS } from '../constants.js';
import type { KeyBuilder } from '../keys.js';
import type { ResolvedConsumerOptions } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import type { Subscription } from '../consumer/held-message.js';
import type { ObserverHub } from '../consumer/observer-hub.js';
import { encodeProgress, JobTracker } from './job-tracker.js';
import { LifecycleEventWriter } from './lifecycle-events.js';

export function wireLifecycle(
  connection: RedisConnection,
  keys: KeyBuilder,
  options: ResolvedConsumerOptions,
  subscriptions: Iterable<Subscription>,
  observers: ObserverHub,
  report: (source: string) => (error: Error) => void,
): LifecycleEventWriter | undefined {
  const { group, consumer } = options;
  const tracker = new JobTracker(connection, keys, group, options.tracking.ttlMs, report('job tracking'));
  observers.add(tracker);
  const all = [...subscriptions];
  const eventStreams = new Set(all.filter((s) => s.options.events).map((s) => s.partition?.name ?? s.keys.name));
  const maxLen = options.events ? options.events.maxLen : DEFAULTS.events.maxLen;
  const events = eventStreams.size > 0 ? new LifecycleEventWriter(connection, keys, group, consumer, maxLen, eventStreams, report('lifecycle events')) : undefined;
  if (events) observers.add(events);
  for (const subscription of all) {
    subscription.progress =
      events && subscription.options.events
        ? (message, value) => tracker.progress(message, value).then(() => events.progress(message, encodeProgress(value)))
        : (message, value) => tracker.progress(message, value);
  }
  return events;
}
