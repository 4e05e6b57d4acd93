import { WeightedShares } from './priority-read.js';

describe('WeightedShares', () => {
  const weights = { high: 6, normal: 3, low: 1 };

  it('splits a read by weight', () => {
    expect(new WeightedShares(weights).split(100, ['high', 'normal', 'low'])).toEqual({ high: 60, normal: 30, low: 10 });
  });

  it('gives every level its share over many small reads, low included', () => {
    const shares = new WeightedShares(weights);
    const total = { high: 0, normal: 0, low: 0 };
    for (let read = 0; read < 1_000; read++) {
      const split = shares.split(1, ['high', 'normal', 'low']);
      for (const level of ['high', 'normal', 'low'] as const) total[level] += split[level];
    }
    expect(total).toEqual({ high: 600, normal: 300, low: 100 });
  });

  it('shares only among the levels given, and a single level takes the whole read', () => {
    expect(new WeightedShares(weights).split(70, ['high', 'low'])).toEqual({ high: 60, normal: 0, low: 10 });
    expect(new WeightedShares(weights).split(7, ['low'])).toEqual({ high: 0, normal: 0, low: 7 });
  });

  it('gives the same shares as the slot-by-slot round robin it replaces, read after read', () => {
    // The reference: every slot goes to the level with the most credit, which pays the total back.
    const credits = { high: 0, normal: 0, low: 0 };
    const bySlot = (count: number, levels: readonly ('high' | 'normal' | 'low')[]) => {
      const shares = { high: 0, normal: 0, low: 0 };
      const total = levels.reduce((sum, level) => sum + weights[level], 0);
      for (let i = 0; i < count; i++) {
        let best = levels[0];
        for (const level of levels) {
          credits[level] += weights[level];
          if (credits[level] > credits[best]) best = level;
        }
        credits[best] -= total;
        shares[best] += 1;
      }
      return shares;
    };
    const shares = new WeightedShares(weights);
    const all = ['high', 'normal', 'low'] as const;
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const cumulative = { closed: { high: 0, normal: 0, low: 0 }, slot: { high: 0, normal: 0, low: 0 } };
    for (let read = 0; read < 500; read++) {
      const count = 1 + (next() % 300);
      const closed = shares.split(count, all);
      const slot = bySlot(count, all);
      expect(closed.high + closed.normal + closed.low).toBe(count);
      for (const level of all) {
        cumulative.closed[level] += closed[level];
        cumulative.slot[level] += slot[level];
        // Never more than one slot apart, and over time the same totals.
        expect(Math.abs(cumulative.closed[level] - cumulative.slot[level])).toBeLessThanOrEqual(1);
      }
    }
  });
});
