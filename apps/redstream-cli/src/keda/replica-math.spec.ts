import { desiredReplicas } from './replica-math.js';

describe('desiredReplicas', () => {
  it('asks each trigger for ceil(metric / target) and takes the largest', () => {
    expect(desiredReplicas([{ metric: 120, target: 50 }, { metric: 64, target: 50 }], 0, 20)).toBe(3);
    expect(desiredReplicas([{ metric: 100, target: 50 }], 0, 20)).toBe(2);
  });

  it('clamps to [max(min, 1), max]', () => {
    expect(desiredReplicas([{ metric: 10_000, target: 50 }], 0, 20)).toBe(20);
    expect(desiredReplicas([{ metric: 1, target: 50 }], 3, 20)).toBe(3);
    expect(desiredReplicas([{ metric: 1, target: 50 }], 0, 20)).toBe(1);
  });

  it('scales to zero only with min 0 and every trigger at or below its activation', () => {
    expect(desiredReplicas([{ metric: 0, target: 50 }, { metric: 0, target: 50 }], 0, 20)).toBe(0);
    expect(desiredReplicas([{ metric: 5, target: 50, activation: 5 }], 0, 20)).toBe(0);
    expect(desiredReplicas([{ metric: 6, target: 50, activation: 5 }], 0, 20)).toBe(1);
    expect(desiredReplicas([{ metric: 0, target: 50 }], 1, 20)).toBe(1);
  });
});
