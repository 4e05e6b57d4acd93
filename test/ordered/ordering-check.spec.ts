import { orderingProblems, type OrderedRecord } from './ordering-check.js';

const r = (consumer: string, key: string, seq: number): OrderedRecord => ({ consumer, key, seq, entryId: '0-0', deliveries: 1 });

describe('orderingProblems (the ordered tests must be able to fail)', () => {
  it('accepts publish order and a crashed worker\'s messages handled again, in order, before later ones', () => {
    const records = [r('a', 'k', 1), r('dead', 'k', 2), r('dead', 'k', 3), r('b', 'k', 2), r('b', 'k', 3), r('b', 'k', 4)];
    expect(orderingProblems(records, ['k'], 4, new Set(['dead']))).toEqual([]);
  });

  it('finds a reorder, a gap, a repeat without a crash, a loss and a repeat after a later message', () => {
    expect(orderingProblems([r('a', 'k', 2), r('a', 'k', 1)], ['k'], 2, new Set())).toHaveLength(2);
    expect(orderingProblems([r('a', 'k', 1), r('a', 'k', 3)], ['k'], 3, new Set())).toEqual(['key k: seq 3 by a after seq 1', 'key k: seq 2 never handled']);
    expect(orderingProblems([r('a', 'k', 1), r('b', 'k', 1)], ['k'], 1, new Set())).toEqual(['key k: seq 1 handled again by b, first by live a']);
    expect(orderingProblems([r('dead', 'k', 1), r('b', 'k', 2), r('b', 'k', 1)], ['k'], 2, new Set(['dead']))).toEqual(['key k: seq 1 handled again by b after seq 2 by b']);
    expect(orderingProblems([r('dead', 'k', 1), r('dead', 'k', 2), r('b', 'k', 1), r('b', 'k', 3)], ['k'], 3, new Set(['dead']))).toEqual(['key k: seq 3 by b after seq 1']);
  });
});
