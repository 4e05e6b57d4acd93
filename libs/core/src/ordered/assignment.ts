/**
 * Which partitions a consumer of an ordered group should own, computed by every consumer
 * alike from the same live member list: members sorted by name, partition i to member
 * i mod m. Each takes a fair share (the counts differ by at most one), and the result
 * depends on nothing but the list, so the consumers agree without talking to each other.
 */
export function assignedPartitions(members: readonly string[], consumer: string, partitionCount: number): number[] {
  const sorted = [...new Set(members)].sort();
  const position = sorted.indexOf(consumer);
  if (position < 0) return [];
  const owned: number[] = [];
  for (let partition = position; partition < partitionCount; partition += sorted.length) owned.push(partition);
  return owned;
}
