import { InvalidArgumentError } from 'commander';
import { compareEntryIds, parseDuration, parseEntryId, parsePositiveInteger } from './parse.js';

describe('CLI value parsers', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d', 172_800_000],
    ['1.5s', 1_500],
    ['1500', 1_500],
  ])('parses the duration %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'soon', '5x', '-3s', '1h 30m', 's'])('rejects the duration %j with an example of what works', (text) => {
    expect(() => parseDuration(text)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(text)).toThrow(/is not a duration; use e\.g\. 500ms, 30s/);
  });

  it('accepts entry ids as Redis prints them and rejects anything else', () => {
    expect(parseEntryId('1700000000000-12')).toBe('1700000000000-12');
    expect(parseEntryId('1700000000000')).toBe('1700000000000');
    for (const bad of ['abc', '17-0-1', '-', '+', '17-', ' 17-0']) expect(() => parseEntryId(bad)).toThrow(/is not a stream entry id/);
  });

  it('accepts positive integers only', () => {
    expect(parsePositiveInteger('42')).toBe(42);
    for (const bad of ['0', '-1', '1.5', '1e3', 'ten']) expect(() => parsePositiveInteger(bad)).toThrow(/is not a positive integer/);
  });

  it('orders entry ids numerically, not as strings', () => {
    expect(compareEntryIds('9-0', '10-0')).toBe(-1);
    expect(compareEntryIds('10-2', '10-10')).toBe(-1);
    expect(compareEntryIds('10-0', '10')).toBe(0);
    expect(compareEntryIds('1700000000001-0', '1700000000000-99')).toBe(1);
  });
});
