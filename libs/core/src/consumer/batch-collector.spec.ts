import { jest } from '@jest/globals';
import { BatchCollector } from './batch-collector.js';
import type { HeldMessage, Subscription } from './held-message.js';

const subscription = {} as Subscription;
const entry = (heldSince: number) => ({ heldSince }) as HeldMessage;

describe('BatchCollector', () => {
  afterEach(() => jest.useRealTimers());

  it('is due at maxSize at once, and takes at most maxSize, oldest in line first', () => {
    const due: number[] = [];
    const collector = new BatchCollector(subscription, 3, 1_000, (c) => void due.push(c.size));
    const now = Date.now();
    const entries = [entry(now), entry(now), entry(now), entry(now)];
    collector.add(entries[0]);
    collector.add(entries[1]);
    expect(collector.due).toBe(false);
    collector.add(entries[2]);
    expect(due).toEqual([3]);
    collector.add(entries[3]);
    expect(collector.take()).toEqual(entries.slice(0, 3));
    expect(collector.size).toBe(1);
    expect(collector.due).toBe(false);
    collector.drop();
  });

  it('is due maxWaitMs after its oldest entry was read, not after the last one came', () => {
    jest.useFakeTimers({ now: 10_000 });
    const due: number[] = [];
    const collector = new BatchCollector(subscription, 100, 50, (c) => void due.push(Date.now()));
    collector.add(entry(Date.now() - 20)); // read 20 ms ago (a dedupe lookup took that long)
    jest.advanceTimersByTime(10);
    collector.add(entry(Date.now()));
    jest.advanceTimersByTime(19);
    expect(due).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(due).toEqual([10_030]);
    expect(collector.due).toBe(true);
    expect(collector.take()).toHaveLength(2);
    expect(collector.oldestSince).toBe(Infinity);
  });

  it('drops everything in line (shutdown) and fires no timer afterwards', () => {
    jest.useFakeTimers({ now: 0 });
    const due: number[] = [];
    const collector = new BatchCollector(subscription, 10, 50, () => void due.push(1));
    collector.add(entry(0));
    collector.add(entry(0));
    expect(collector.drop()).toHaveLength(2);
    jest.advanceTimersByTime(100);
    expect(due).toEqual([]);
  });
});
