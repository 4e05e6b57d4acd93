/**
 * The entries a consumer holds (read or claimed, not yet finished): an intrusive doubly
 * linked list, so adding and removing one costs two pointer writes. A `Set` of a thousand
 * entries churning at 100k messages/s reallocates its hash table over and over, and the
 * tables survive young-generation GCs (they are live), which shows in the hot path.
 */
export interface HeldLink {
  /** Managed by HeldEntries: the neighbours while held. */
  heldPrev: HeldLink | undefined;
  heldNext: HeldLink | undefined;
  isHeld: boolean;
}

export class HeldEntries<T extends HeldLink> implements Iterable<T> {
  private head: T | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(entry: T): void {
    if (entry.isHeld) return;
    entry.isHeld = true;
    entry.heldPrev = undefined;
    entry.heldNext = this.head;
    if (this.head !== undefined) this.head.heldPrev = entry;
    this.head = entry;
    this.count += 1;
  }

  /** Removes the entry; a no-op when it is not held (finished twice, timed out first). */
  delete(entry: T): void {
    if (!entry.isHeld) return;
    entry.isHeld = false;
    const { heldPrev: prev, heldNext: next } = entry;
    if (prev !== undefined) prev.heldNext = next;
    else this.head = next as T | undefined;
    if (next !== undefined) next.heldPrev = prev;
    entry.heldPrev = entry.heldNext = undefined;
    this.count -= 1;
  }

  *[Symbol.iterator](): Iterator<T> {
    for (let entry = this.head; entry !== undefined; entry = entry.heldNext as T | undefined) yield entry;
  }
}

/** Removes the items of `queue` that match, keeping the order of the rest, and returns them. */
export function takeWhere<T>(queue: T[], matches: (item: T) => boolean): T[] {
  const taken: T[] = [];
  let kept = 0;
  for (const item of queue) {
    if (matches(item)) taken.push(item);
    else queue[kept++] = item;
  }
  queue.length = kept;
  return taken;
}
