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
});
