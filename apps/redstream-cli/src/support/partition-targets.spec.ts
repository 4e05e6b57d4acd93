import { InvalidArgumentError } from 'commander';
import { parsePartitionIndex } from './partition-targets.js';

describe('--partition <i>', () => {
  it.each([['0', 0], ['7', 7], ['127', 127]])('parses the index %s', (text, index) => {
    expect(parsePartitionIndex(text)).toBe(index);
  });

  it.each(['-1', '1.5', 'two', '', '1e3'])('refuses %j, naming the value', (text) => {
    expect(() => parsePartitionIndex(text)).toThrow(InvalidArgumentError);
    expect(() => parsePartitionIndex(text)).toThrow(`"${text}" is not a partition index`);
  });
});
