import { KeyBuilder } from '../keys.js';
import { CompletionMarks } from './completion-marks.js';

const keys = new KeyBuilder('rs').forStream('orders');

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

describe('CompletionMarks', () => {
  it('names a bucket by its start, half the TTL wide, in the stream\'s hash tag', () => {
    const marks = new CompletionMarks('billing', 60_000);
    expect(marks.widthMs).toBe(30_000);
    expect(marks.writeKey(keys, 95_000)).toEqual({ key: 'rs:{orders}:completed:billing:90000', endMs: 120_000 });
    expect(marks.lookupKeys(keys, 95_000)).toEqual([0, 30_000, 60_000, 90_000, 120_000].map((start) => `rs:{orders}:completed:billing:${start}`));
  });

  it.each([[60_000], [2_001], [7], [86_400_000]])(
    'with TTL %d ms a lookup any time within the TTL finds the bucket a mark was written to, from clocks up to half a TTL apart',
    (ttlMs) => {
      const marks = new CompletionMarks('g', ttlMs);
      const next = random(ttlMs);
      const maxSkew = marks.widthMs - 1;
      for (let i = 0; i < 2_000; i++) {
        const ackedAt = 1_764_000_000_000 + Math.floor(next() * 10 * ttlMs);
        const writerSkew = Math.floor((next() - 0.5) * maxSkew);
        const readerSkew = Math.floor((next() - 0.5) * maxSkew);
        const lookedUpAt = ackedAt + Math.floor(next() * ttlMs);
        const { key, endMs } = marks.writeKey(keys, ackedAt + writerSkew);
        expect(marks.lookupKeys(keys, lookedUpAt + readerSkew)).toContain(key);
        // Expiry: a TTL after the bucket's end is at least a TTL after the write by the writer's clock.
        expect(endMs + ttlMs).toBeGreaterThan(ackedAt + writerSkew + ttlMs - 1);
      }
    },
  );

  it('shares the buckets between the priority levels of a stream and keeps partitions apart', () => {
    const marks = new CompletionMarks('g', 10_000);
    expect(marks.writeKey(keys.level('high'), 1_000).key).toBe(marks.writeKey(keys, 1_000).key);
    expect(marks.writeKey(new KeyBuilder('rs').forStream('orders#1'), 1_000).key).toBe('rs:{orders#1}:completed:g:0');
  });
});
