import { InvalidOptionError } from '../errors/index.js';
import { planTick, tickAfter, tickAtOrBefore, validateSchedule } from './schedule-plan.js';

const at = (iso: string) => Date.parse(iso);

describe('schedule ticks', () => {
  it('puts everyMs ticks on multiples of the period from startAt (or the epoch), strictly after the given time', () => {
    const every = validateSchedule('s', { everyMs: 1_000, stream: 'x', data: 1 });
    expect(tickAfter(every, 10_500)).toBe(11_000);
    expect(tickAfter(every, 11_000)).toBe(12_000);
    expect(tickAtOrBefore(every, 11_999, 0)).toBe(11_000);
    const anchored = validateSchedule('s', { everyMs: 1_000, stream: 'x', data: 1, startAt: 10_250, endAt: 12_250 });
    expect(tickAfter(anchored, 0)).toBe(10_250);
    expect(tickAfter(anchored, 11_250)).toBe(12_250);
    expect(tickAfter(anchored, 12_250)).toBeNull();
  });

  it('reads cron expressions with cron-parser, in the given time zone', () => {
    const nightly = validateSchedule('n', { cron: '0 3 * * *', tz: 'Europe/Berlin', stream: 'x', data: {} });
    expect(new Date(tickAfter(nightly, at('2026-07-01T12:00:00Z'))!).toISOString()).toBe('2026-07-02T01:00:00.000Z');
    const seconds = validateSchedule('s', { cron: '*/5 * * * * *', stream: 'x', data: {} });
    expect(tickAfter(seconds, at('2026-01-01T00:00:05Z'))).toBe(at('2026-01-01T00:00:10Z'));
    expect(tickAtOrBefore(seconds, at('2026-01-01T00:00:09.999Z'), 0)).toBe(at('2026-01-01T00:00:05Z'));
  });

  it('fires a due tick within the grace, and after downtime the latest missed one (last) or none (none)', () => {
    const last = validateSchedule('s', { everyMs: 1_000, stream: 'x', data: 1 });
    const none = validateSchedule('s', { everyMs: 1_000, stream: 'x', data: 1, catchUp: 'none' });
    expect(planTick(last, { next: 10_000, runs: 0 }, 10_400, 500)).toEqual({ fireAt: 10_000, next: 11_000 });
    // Down from 10,000 to 15,200: 10,000 .. 14,000 are older than the grace; 15,000 is on time.
    expect(planTick(last, { next: 10_000, runs: 0 }, 15_200, 500)).toEqual({ fireAt: 14_000, next: 15_000 });
    expect(planTick(none, { next: 10_000, runs: 0 }, 15_200, 500)).toEqual({ fireAt: null, next: 15_000 });
  });

  it('finishes at the limit', () => {
    const limited = validateSchedule('s', { everyMs: 1_000, stream: 'x', data: 1, limit: 3 });
    expect(planTick(limited, { next: 10_000, runs: 1 }, 10_000, 500)).toEqual({ fireAt: 10_000, next: 11_000 });
    expect(planTick(limited, { next: 11_000, runs: 2 }, 11_000, 500)).toEqual({ fireAt: 11_000, next: null });
  });

  it('refuses bad definitions with the option named', () => {
    const bad: [Parameters<typeof validateSchedule>[1], string][] = [
      [{ stream: 'x', data: 1 } as never, 'cron'],
      [{ cron: '* * * * *', everyMs: 5, stream: 'x', data: 1 }, 'cron'],
      [{ cron: 'every day', stream: 'x', data: 1 }, 'cron'],
      [{ everyMs: 0, stream: 'x', data: 1 }, 'everyMs'],
      [{ everyMs: 10, tz: 'Mars/Olympus', stream: 'x', data: 1 }, 'tz'],
      [{ everyMs: 10, stream: 'x', data: 1, catchUp: 'all' as never }, 'catchUp'],
      [{ everyMs: 10, stream: 'x', data: 1, startAt: 10, endAt: 5 }, 'endAt'],
      [{ everyMs: 10, stream: 'x', data: 1, limit: 0 }, 'limit'],
      [{ everyMs: 10, stream: 'x', data: undefined }, 'data'],
    ];
    for (const [options, option] of bad) {
      expect(() => validateSchedule('s', options)).toThrow(InvalidOptionError);
      expect(() => validateSchedule('s', options)).toThrow(new RegExp(`\`${option}\``));
    }
    expect(() => validateSchedule('has space', { everyMs: 10, stream: 'x', data: 1 })).toThrow(/`name`/);
  });
});
