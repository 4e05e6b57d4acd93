import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  const exact = { delayMs: 200, maxDelayMs: 5_000, jitter: false };

  it('doubles with each failed delivery, starting at delayMs', () => {
    expect([1, 2, 3, 4, 5].map((d) => backoffDelay(d, exact))).toEqual([200, 400, 800, 1_600, 3_200]);
  });

  it('is capped at maxDelayMs, also for huge delivery counts', () => {
    expect(backoffDelay(6, exact)).toBe(5_000);
    expect(backoffDelay(1_000_000, exact)).toBe(5_000);
  });

  it('treats a count below 1 as the first delivery', () => {
    expect(backoffDelay(0, exact)).toBe(200);
  });

  it('with jitter lies between half and all of the exponential delay', () => {
    const jittered = { ...exact, jitter: true };
    expect(backoffDelay(3, jittered, () => 0)).toBe(400);
    expect(backoffDelay(3, jittered, () => 0.999_999)).toBe(800);
    for (let i = 0; i < 1_000; i += 1) {
      const delay = backoffDelay(2, jittered);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });

  it('is 0 when delayMs is 0', () => {
    expect(backoffDelay(4, { delayMs: 0, maxDelayMs: 0, jitter: true })).toBe(0);
  });
});
