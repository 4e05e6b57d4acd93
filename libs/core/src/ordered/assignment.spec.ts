import { assignedPartitions } from './assignment.js';

describe('assignedPartitions', () => {
  it('gives every partition to exactly one member, fair shares', () => {
    const members = ['w-c', 'w-a', 'w-b', 'w-d'];
    const shares = members.map((m) => assignedPartitions(members, m, 6));
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
    const sizes = shares.map((s) => s.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('does not depend on the order the members were listed in', () => {
    expect(assignedPartitions(['b', 'a', 'c'], 'b', 6)).toEqual(assignedPartitions(['c', 'b', 'a'], 'b', 6));
    expect(assignedPartitions(['b', 'a', 'c'], 'a', 6)).toEqual([0, 3]);
  });

  it('gives nothing to a consumer not in the list, and all to a lone member', () => {
    expect(assignedPartitions(['a'], 'z', 4)).toEqual([]);
    expect(assignedPartitions(['a'], 'a', 4)).toEqual([0, 1, 2, 3]);
  });

  it('leaves members beyond the partition count idle', () => {
    const members = ['a', 'b', 'c'];
    expect(members.map((m) => assignedPartitions(members, m, 2))).toEqual([[0], [1], []]);
  });
});
