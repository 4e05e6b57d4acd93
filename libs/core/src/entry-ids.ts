/**
 * Stream entry ids (`<ms>-<seq>`) compare as two numbers, not as strings: `9-0` comes
 * before `10-0`. Both parts go through BigInt, as a sequence may exceed 2^53.
 */

/** -1, 0 or 1 as `a` comes before, equals or follows `b`; `10` equals `10-0`. */
export function compareEntryIds(a: string, b: string): number {
  const [aMs, aSeq = '0'] = a.split('-');
  const [bMs, bSeq = '0'] = b.split('-');
  const byMs = BigInt(aMs) - BigInt(bMs);
  if (byMs !== 0n) return byMs < 0n ? -1 : 1;
  const bySeq = BigInt(aSeq) - BigInt(bSeq);
  return bySeq === 0n ? 0 : bySeq < 0n ? -1 : 1;
}
