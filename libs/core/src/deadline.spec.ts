import { remainingMs, withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('settles with the promise when it is in time', async () => {
    await expect(withDeadline(Promise.resolve(7), 1_000, () => 0)).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 1_000, () => 0)).rejects.toThrow('boom');
  });

  it('settles with the fallback, or rejects with what onTimeout throws, when the promise is late', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(withDeadline(never, 5, () => 'late')).resolves.toBe('late');
    await expect(
      withDeadline(never, 5, () => {
        throw new Error('timed out after 5 ms');
      }),
    ).rejects.toThrow('timed out after 5 ms');
  });

  it('treats a negative time as none left', async () => {
    await expect(withDeadline(new Promise(() => undefined), -10, () => 'now')).resolves.toBe('now');
  });
});

describe('remainingMs', () => {
  it('counts down to the deadline and never goes below 0', () => {
    expect(remainingMs(Date.now() + 10_000)).toBeGreaterThan(9_000);
    expect(remainingMs(Date.now() - 10_000)).toBe(0);
  });
});
