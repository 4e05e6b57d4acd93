/**
 * The one deadline helper: bounded waits for shutdown steps, connects, QUIT and metrics
 * collection, each with the timer cleared as soon as the promise settles.
 */

/**
 * Settles like `promise`, or after `ms` with what `onTimeout` returns (or rejects with
 * what it throws). The promise itself is not cancelled.
 */
export function withDeadline<T, F = never>(promise: Promise<T>, ms: number, onTimeout: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(onTimeout());
      } catch (error) {
        reject(error);
      }
    }, Math.max(0, ms));
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Milliseconds left until `deadline` (ms since epoch), never negative. */
export function remainingMs(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}
