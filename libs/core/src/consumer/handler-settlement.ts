/**
 * Follows what a handler returned — for one entry (the dispatcher) or one batch (the batch
 * runner) alike: a plain value settles at once, a promise when it settles. With `timeoutMs`,
 * `timedOut` runs once that has passed (the failure path, at once); the handler cannot be
 * stopped, so its real settlement later only calls `settledAfterTimeout` (the handler gives
 * back its slots then, so the concurrency limit stays true while it runs on).
 *
 * The callbacks are made once per caller and get the work as `context`: the hot path makes
 * no object per message beyond the promise reactions.
 */
export interface SettlementCallbacks<C> {
  settled(context: C, value: unknown, threw: boolean): void;
  timedOut(context: C, timeoutMs: number): void;
  settledAfterTimeout(context: C): void;
}

export function followHandlerResult<C>(result: unknown, timeoutMs: number | undefined, on: SettlementCallbacks<C>, context: C): void {
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    on.settled(context, result, false);
    return;
  }
  const promise = result as Promise<unknown>;
  if (timeoutMs === undefined) {
    promise.then(
      (value) => on.settled(context, value, false),
      (error: unknown) => on.settled(context, error, true),
    );
    return;
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    on.timedOut(context, timeoutMs);
  }, timeoutMs);
  const settle = (value: unknown, threw: boolean) => {
    clearTimeout(timer);
    if (timedOut) on.settledAfterTimeout(context);
    else on.settled(context, value, threw);
  };
  promise.then(
    (value) => settle(value, false),
    (error: unknown) => settle(error, true),
  );
}
