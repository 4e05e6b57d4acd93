import { jest } from '@jest/globals';
import { RetryScheduler, type ScheduledRetry } from './retry-scheduler.js';

const retry = (entryId: string, dueAt: number, streamKey = 's'): ScheduledRetry => ({ streamKey, entryId, dueAt });

describe('RetryScheduler', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000 }));
  afterEach(() => jest.useRealTimers());

  it('hands out due retries earliest first, at most `max`, whatever the order they were scheduled in', () => {
    const scheduler = new RetryScheduler(() => undefined);
    scheduler.schedule(retry('c', 1_300));
    scheduler.schedule(retry('a', 1_100));
    scheduler.schedule(retry('b', 1_200));
    scheduler.schedule(retry('b2', 1_200));
    expect(scheduler.takeDue(10, 1_050)).toEqual([]);
    expect(scheduler.takeDue(2, 1_250).map((r) => r.entryId)).toEqual(['a', 'b']);
    expect(scheduler.takeDue(10, 1_250).map((r) => r.entryId)).toEqual(['b2']);
    expect(scheduler.size).toBe(1);
    expect(scheduler.nextDueAt).toBe(1_300);
  });

  it('calls onDue once when the earliest retry is due, with one timer for all of them', () => {
    const onDue = jest.fn();
    const scheduler = new RetryScheduler(onDue);
    scheduler.schedule(retry('late', 1_500));
    scheduler.schedule(retry('early', 1_100));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(99);
    expect(onDue).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(scheduler.hasDue).toBe(true);
    scheduler.takeDue(10);
    jest.advanceTimersByTime(400);
    expect(onDue).toHaveBeenCalledTimes(2);
  });

  it('removes a retry by stream and id (reclaimed elsewhere) and re-arms for the next one', () => {
    const onDue = jest.fn();
    const scheduler = new RetryScheduler(onDue);
    scheduler.schedule(retry('x', 1_100, 's1'));
    scheduler.schedule(retry('x', 1_200, 's2'));
    expect(scheduler.remove('s1', 'x')).toBe(true);
    expect(scheduler.remove('s1', 'x')).toBe(false);
    jest.advanceTimersByTime(150);
    expect(onDue).not.toHaveBeenCalled();
    jest.advanceTimersByTime(50);
    expect(onDue).toHaveBeenCalledTimes(1);
    expect(scheduler.entries().map((r) => r.streamKey)).toEqual(['s2']);
  });

  it('clear() forgets everything and stops the timer', () => {
    const onDue = jest.fn();
    const scheduler = new RetryScheduler(onDue);
    scheduler.schedule(retry('a', 1_100));
    expect(scheduler.clear()).toHaveLength(1);
    expect(scheduler.nextDueAt).toBe(Infinity);
    jest.advanceTimersByTime(1_000);
    expect(onDue).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
  });
});
