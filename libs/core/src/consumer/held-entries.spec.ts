import { HeldEntries, type HeldLink } from './held-entries.js';

const entry = (id: string) => ({ id, heldPrev: undefined, heldNext: undefined, isHeld: false }) as HeldLink & { id: string };
const ids = (held: HeldEntries<HeldLink & { id: string }>) => [...held].map((e) => e.id).sort();

describe('HeldEntries', () => {
  it('adds, removes from the head, middle and tail, and counts', () => {
    const held = new HeldEntries<HeldLink & { id: string }>();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(entry);
    for (const e of [a, b, c, d]) held.add(e);
    expect(held.size).toBe(4);
    held.delete(d); // head (last added)
    held.delete(b); // middle
    held.delete(a); // tail
    expect(ids(held)).toEqual(['c']);
    expect(held.size).toBe(1);
    held.delete(c);
    expect(ids(held)).toEqual([]);
    expect(held.size).toBe(0);
  });

  it('ignores adding an entry twice and removing one that is not held', () => {
    const held = new HeldEntries<HeldLink & { id: string }>();
    const [a, b] = ['a', 'b'].map(entry);
    held.add(a);
    held.add(a);
    held.delete(b);
    expect(held.size).toBe(1);
    held.delete(a);
    held.delete(a);
    expect(held.size).toBe(0);
    held.add(a);
    expect(ids(held)).toEqual(['a']);
  });
});
