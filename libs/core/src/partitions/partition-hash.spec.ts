import { fnv1a32, jumpConsistentHash, partitionFor } from './partition-hash.js';

describe('partitionFor', () => {
  it('matches the published FNV-1a 32-bit vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('matches the published jump consistent hash vectors', () => {
    expect(jumpConsistentHash(0n, 60)).toBe(0);
    expect(jumpConsistentHash(1n, 60)).toBe(55);
    expect(jumpConsistentHash(2n, 60)).toBe(46);
    expect(jumpConsistentHash(42n, 57)).toBe(43);
    expect(jumpConsistentHash(256n, 1024)).toBe(520);
    expect(jumpConsistentHash(3735883980n, 666)).toBe(361);
  });

  // Fixed vectors (computed by an independent implementation): other languages route the same way.
  it.each([
    ['customer-1', 307212823, [0, 0, 3, 3, 3]],
    ['customer-2', 323990442, [0, 1, 2, 2, 8]],
    ['order:42', 1226683121, [0, 1, 4, 4, 4]],
    ['ü', 295556170, [0, 1, 2, 2, 10]],
    ['', 2166136261, [0, 1, 1, 1, 1]],
  ])('routes %j to the same partition as the documented algorithm', (key, hash, partitions) => {
    expect(fnv1a32(key)).toBe(hash);
    expect([1, 2, 6, 8, 12].map((count) => partitionFor(key, count))).toEqual(partitions);
  });

  it('on growth moves a key only to a new partition, and about (M-N)/M of the keys', () => {
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const before = partitionFor(`key-${i}`, 6);
      const after = partitionFor(`key-${i}`, 12);
      if (after !== before) {
        moved += 1;
        expect(after).toBeGreaterThanOrEqual(6);
      }
    }
    expect(moved / 10_000).toBeGreaterThan(0.45);
    expect(moved / 10_000).toBeLessThan(0.55);
  });

  it('spreads keys over every partition', () => {
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8_000; i++) counts[partitionFor(`customer-${i}`, 8)] += 1;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('refuses a count below 1', () => {
    expect(() => partitionFor('k', 0)).toThrow(RangeError);
  });
});
