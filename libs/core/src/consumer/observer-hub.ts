/**
 * The consumer's observers (metrics) as one. Units read `current` on every use, so an
 * observer added after start (a metrics registry attached late) sees what follows.
 */
import type { ConsumerObserver } from './received-message.js';

const EVENTS = ['handled', 'failed', 'started', 'succeeded', 'reclaimed', 'deletedOnClaim', 'trimmed', 'deadLetterDropped', 'unreadDropped', 'statusChanged', 'permissionRefused'] as const;

export class ObserverHub {
  private readonly observers: ConsumerObserver[] = [];
  /** Every observer added so far, combined; a method is missing when no observer has it. */
  current: ConsumerObserver = {};
  /** True when some observer wants handler durations: only then is the clock read per message. */
  timed = false;
  /** Forwards to `current`, for units that keep the observer they were built with. */
  readonly relay: ConsumerObserver = {
    trimmed: (stream, count) => this.current.trimmed?.(stream, count),
    unreadDropped: (stream, count) => this.current.unreadDropped?.(stream, count),
  };

  add(observer: ConsumerObserver): void {
    this.observers.push(observer);
    this.current = combine(this.observers);
    this.timed = this.observers.some((o) => o.handled !== undefined);
  }
}

function combine(observers: readonly ConsumerObserver[]): ConsumerObserver {
  const combined: ConsumerObserver = {};
  for (const name of EVENTS) {
    const listeners = observers.map((o) => o[name]?.bind(o)).filter((f): f is (...args: never[]) => void => f !== undefined);
    if (listeners.length === 0) continue;
    (combined as Record<string, unknown>)[name] = (...args: unknown[]) => {
      for (const listener of listeners) (listener as (...a: unknown[]) => void)(...args);
    };
  }
  return combined;
}
