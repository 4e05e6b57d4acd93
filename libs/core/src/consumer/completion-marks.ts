/**
 * Where a group's completion marks live (consumer dedupe, DESIGN.md point 4): the
 * idempotency keys the group completed are members of one set per time bucket,
 * `rs:{s}:completed:<group>:<bucketStartMs>`, each bucket half the TTL wide. An ack adds its
 * keys to the current bucket (one SADD for the whole ack batch, atomic with the XACK) and
 * moves the bucket's expiry to its end plus the TTL, so every mark lives at least the TTL
 * (at most 1.5 x). A lookup asks the buckets a mark younger than the TTL can be in.
 *
 * One string key with a TTL per mark (redstream 0.1) cost Redis ~3.4 µs per keyed message
 * for the SET alone (a new key and an expiry entry each) and ~200 bytes; a set member ~1 µs
 * and ~80 bytes (README "Keyed messages: where the cost is").
 *
 * Buckets are numbered by the worker's clock (the ack's expiry uses Redis' TIME). Lookups
 * read one bucket more on either side, so workers whose clocks differ by less than half
 * the TTL still find each other's marks. Every consumer of a group must use the same
 * `dedupe.ttlMs`: the bucket width follows from it.
 */
import type { StreamKeys } from '../keys.js';

interface BucketKeys {
  bucket: number;
  /** Oldest first: buckets `bucket - 3` to `bucket + 1`. */
  lookup: string[];
  write: string;
}

export class CompletionMarks {
  readonly widthMs: number;
  /** By stream name (the levels of a stream share its marks). */
  private readonly current = new Map<string, BucketKeys>();

  constructor(
    readonly group: string,
    readonly ttlMs: number,
    readonly legacyMarks = false,
  ) {
    this.widthMs = Math.max(1, Math.ceil(ttlMs / 2));
  }

  /**
   * The buckets a lookup at `now` reads. A mark written up to a TTL (<= 2 widths) ago is in
   * bucket `b - 2` or later; `b - 3` and `b + 1` cover clocks up to a width apart.
   */
  lookupKeys(keys: StreamKeys, now = Date.now()): readonly string[] {
    return this.at(keys, now).lookup;
  }

  /** The bucket an ack at `now` writes to, and when that bucket ends (its expiry is that plus the TTL). */
  writeKey(keys: StreamKeys, now = Date.now()): { key: string; endMs: number } {
    const at = this.at(keys, now);
    return { key: at.write, endMs: (at.bucket + 1) * this.widthMs };
  }

  private at(keys: StreamKeys, now: number): BucketKeys {
    const bucket = Math.floor(now / this.widthMs);
    let cached = this.current.get(keys.name);
    if (cached === undefined || cached.bucket !== bucket) {
      const lookup: string[] = [];
      for (let b = bucket - 3; b <= bucket + 1; b++) lookup.push(keys.completedIn(this.group, b * this.widthMs));
      cached = { bucket, lookup, write: lookup[3] };
      this.current.set(keys.name, cached);
    }
    return cached;
  }
}
