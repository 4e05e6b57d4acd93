/**
 * Which partition a key goes to. Documented so that producers in other languages route
 * the same way (README, "Partitions"):
 *
 *   h = FNV-1a 32-bit of the key's UTF-8 bytes (offset basis 2166136261, prime 16777619)
 *   partition = jump consistent hash (Lamping & Veach, 2014) of h as an unsigned 64-bit key
 *               over `count` buckets
 *
 * Jump hash because growth then moves as few keys as possible: going from N to M
 * partitions, a key either stays where it was or moves to one of the new partitions
 * (N..M-1), and only (M-N)/M of the keys move at all.
 */
const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const JUMP_MULTIPLIER = 2862933555777941757n;
const UINT64 = (1n << 64n) - 1n;
const TWO_POW_31 = 2 ** 31;

/** FNV-1a, 32 bits, of the UTF-8 bytes of `key`. */
export function fnv1a32(key: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Jump consistent hash: the bucket in [0, buckets) of a 64-bit key. */
export function jumpConsistentHash(key: bigint, buckets: number): number {
  let bucket = -1;
  let next = 0;
  let state = key & UINT64;
  while (next < buckets) {
    bucket = next;
    state = (state * JUMP_MULTIPLIER + 1n) & UINT64;
    next = Math.floor((bucket + 1) * (TWO_POW_31 / (Number(state >> 33n) + 1)));
  }
  return bucket;
}

/** The partition in [0, count) of a partition key (or idempotency key). */
export function partitionFor(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`partitionFor: count must be an integer >= 1, got ${count}`);
  if (count === 1) return 0;
  return jumpConsistentHash(BigInt(fnv1a32(key)), count);
}
