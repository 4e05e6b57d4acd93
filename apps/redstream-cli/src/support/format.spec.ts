import { formatDuration, truncate } from './format.js';

describe('CLI formatting', () => {
  it.each([
    [0, '0ms'],
    [450, '450ms'],
    [12_400, '12s'],
    [192_000, '3m12s'],
    [7_500_000, '2h05m'],
    [273_600_000, '3d04h'],
    [-1, '-'],
  ])('formats %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('truncates long payloads to one line with an ellipsis', () => {
    expect(truncate('{"a":\n 1}', 20)).toBe('{"a": 1}');
    expect(truncate('x'.repeat(30), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
