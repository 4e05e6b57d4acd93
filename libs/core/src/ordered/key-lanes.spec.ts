import { KeyLanes } from './key-lanes.js';

const item = (entryId: string) => ({ entryId });

describe('KeyLanes', () => {
  it('runs entries of one key one after another, in the order they came', () => {
    const lanes = new KeyLanes<{ entryId: string }>();
    expect(lanes.admit('k', item('1-0'))).toBe(true);
    expect(lanes.admit('k', item('2-0'))).toBe(false);
    expect(lanes.admit('k', item('3-0'))).toBe(false);
    expect(lanes.queued).toBe(2);
    expect(lanes.release('k', '1-0')?.entryId).toBe('2-0');
    expect(lanes.release('k', '2-0')?.entryId).toBe('3-0');
    expect(lanes.release('k', '3-0')).toBeUndefined();
    expect(lanes.activeLanes).toBe(0);
    expect(lanes.queued).toBe(0);
  });

  it('runs different keys side by side', () => {
    const lanes = new KeyLanes<{ entryId: string }>();
    expect(lanes.admit('a', item('1-0'))).toBe(true);
    expect(lanes.admit('b', item('2-0'))).toBe(true);
    expect(lanes.activeLanes).toBe(2);
  });

  it('lets a failed holder come back (its retry) while later entries of its key keep waiting', () => {
    const lanes = new KeyLanes<{ entryId: string }>();
    lanes.admit('k', item('1-0'));
    lanes.admit('k', item('2-0'));
    expect(lanes.admit('other', item('3-0'))).toBe(true);
    // The retry of 1-0 after its backoff: still the holder.
    expect(lanes.admit('k', item('1-0'))).toBe(true);
    expect(lanes.queued).toBe(1);
    // Dead-lettered at last: the key moves on.
    expect(lanes.release('k', '1-0')?.entryId).toBe('2-0');
  });

  it('ignores a release by an entry that does not hold the lane', () => {
    const lanes = new KeyLanes<{ entryId: string }>();
    lanes.admit('k', item('1-0'));
    lanes.admit('k', item('2-0'));
    expect(lanes.release('k', '2-0')).toBeUndefined();
    expect(lanes.release('nope', '1-0')).toBeUndefined();
    expect(lanes.queued).toBe(1);
  });

  it('drops the lanes of a partition given up and returns what waited in them', () => {
    const lanes = new KeyLanes<{ entryId: string }>();
    lanes.admit('p0\0a', item('1-0'));
    lanes.admit('p0\0a', item('2-0'));
    lanes.admit('p1\0a', item('3-0'));
    lanes.admit('p1\0a', item('4-0'));
    expect(lanes.dropLanes((key) => key.startsWith('p0\0')).map((i) => i.entryId)).toEqual(['2-0']);
    expect(lanes.queued).toBe(1);
    expect(lanes.activeLanes).toBe(1);
    // A new owner's first entry of that key starts at once.
    expect(lanes.admit('p0\0a', item('5-0'))).toBe(true);
  });
});
