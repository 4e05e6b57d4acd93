/** Polls a condition until it holds or the deadline passes; tests never sleep for a fixed time. */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 20, what = 'condition' }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Checks that a condition keeps holding for a whole window, polling it, and fails as soon as it
 * does not: for "nothing happens for N ms" (no handler starts while paused), which no deadline
 * on a condition can express.
 */
export async function holdsFor(
  condition: () => boolean | Promise<boolean>,
  { durationMs, intervalMs = 20, what = 'condition' }: { durationMs: number; intervalMs?: number; what?: string },
): Promise<void> {
  const end = Date.now() + durationMs;
  for (;;) {
    if (!(await condition())) throw new Error(`stopped holding before ${durationMs} ms had passed: ${what}`);
    if (Date.now() >= end) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, end - Date.now())));
  }
}

/** Resolves at a moment (ms since epoch): a measurement taken a fixed time after an event. */
export async function until(at: number): Promise<void> {
  const left = at - Date.now();
  if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
}
