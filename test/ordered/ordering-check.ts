/**
 * The ordering assertion of the ordered-consumption tests, on the records of
 * test/fixtures/ordered-worker.mjs (one Redis list, so one global order across processes):
 * every key's messages handled in publish order, 1..count; a message handled again only if
 * the first to handle it was a crashed worker, and then before any later message of its key
 * (after going back, its key goes on one by one from there); nothing lost.
 */
export interface OrderedRecord {
  consumer: string;
  key: string;
  seq: number;
  entryId: string;
  deliveries: number;
}

export function parseOrderedRecords(lines: readonly string[]): OrderedRecord[] {
  return lines.map((line) => {
    const [consumer, key, seq, entryId, deliveries] = line.split(' ');
    return { consumer, key, seq: Number(seq), entryId, deliveries: Number(deliveries) };
  });
}

/** Returns the problems found (empty when the order holds), at most `limit` of them. */
export function orderingProblems(records: readonly OrderedRecord[], keys: readonly string[], perKey: number, crashed: ReadonlySet<string>, limit = 20): string[] {
  const problems: string[] = [];
  const byKey = new Map<string, OrderedRecord[]>(keys.map((k) => [k, []]));
  for (const record of records) {
    const list = byKey.get(record.key);
    if (list === undefined) problems.push(`record of an unknown key: ${JSON.stringify(record)}`);
    else list.push(record);
  }
  for (const [key, list] of byKey) {
    const firstBy = new Map<number, { consumer: string; at: number }>();
    let previous = 0;
    list.forEach((record, at) => {
      const first = firstBy.get(record.seq);
      if (first !== undefined && !crashed.has(first.consumer)) problems.push(`key ${key}: seq ${record.seq} handled again by ${record.consumer}, first by live ${first.consumer}`);
      if (record.seq === previous + 1) {
        // In order (the first time, or going on after going back).
      } else if (first !== undefined && record.seq <= previous) {
        // Going back after a crash: every later message handled since was the crashed worker's lost work.
        const since = list.slice(first.at + 1, at).find((other) => other.seq > record.seq && !crashed.has(other.consumer));
        if (since !== undefined) problems.push(`key ${key}: seq ${record.seq} handled again by ${record.consumer} after seq ${since.seq} by ${since.consumer}`);
      } else {
        problems.push(`key ${key}: seq ${record.seq} by ${record.consumer} after seq ${previous}`);
      }
      if (first === undefined) firstBy.set(record.seq, { consumer: record.consumer, at });
      previous = record.seq;
    });
    for (let seq = 1; seq <= perKey; seq += 1) if (!firstBy.has(seq)) problems.push(`key ${key}: seq ${seq} never handled`);
    if (problems.length >= limit) break;
  }
  return problems.slice(0, limit);
}
