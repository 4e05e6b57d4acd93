/**
 * Per-key order for ordered consumption: one lane per partition key, and at most one
 * entry of a lane in the hands of a handler (running, waiting for a slot, or waiting for
 * its retry's backoff). Later entries of the key queue behind it, in the order they were
 * admitted (entry-id order within a partition), and run one by one as each holder is
 * released: on success, or when it is dead-lettered. A failed holder keeps its lane while
 * its retry waits, so a failing message holds back its own key only.
 */
export interface LaneItem {
  readonly entryId: string;
}

interface Lane<T> {
  holder: string;
  readonly queue: T[];
}

export class KeyLanes<T extends LaneItem> {
  private readonly lanes = new Map<string, Lane<T>>();
  private queuedCount = 0;

  /** Entries waiting behind the holder of their key. */
  get queued(): number {
    return this.queuedCount;
  }

  /** Keys with a holder now. */
  get activeLanes(): number {
    return this.lanes.size;
  }

  /**
   * True when `item` may run now: its lane was free (it becomes the holder), or it is the
   * holder coming back (a retry). Otherwise it is queued behind the holder and false.
   */
  admit(laneKey: string, item: T): boolean {
    const lane = this.lanes.get(laneKey);
    if (lane === undefined) {
      this.lanes.set(laneKey, { holder: item.entryId, queue: [] });
      return true;
    }
    if (lane.holder === item.entryId) return true;
    lane.queue.push(item);
    this.queuedCount += 1;
    return false;
  }

  /**
   * The holder `entryId` is done with (handled or dead-lettered): returns the next entry of
   * its key, which now holds the lane, or undefined. A no-op for an entry that does not hold it.
   */
  release(laneKey: string, entryId: string): T | undefined {
    const lane = this.lanes.get(laneKey);
    if (lane === undefined || lane.holder !== entryId) return undefined;
    const next = lane.queue.shift();
    if (next === undefined) {
      this.lanes.delete(laneKey);
      return undefined;
    }
    this.queuedCount -= 1;
    lane.holder = next.entryId;
    return next;
  }

  /** Forgets every lane whose key matches (a partition given up) and returns their queued entries. */
  dropLanes(matches: (laneKey: string) => boolean): T[] {
    const dropped: T[] = [];
    for (const [laneKey, lane] of this.lanes) {
      if (!matches(laneKey)) continue;
      dropped.push(...lane.queue);
      this.queuedCount -= lane.queue.length;
      this.lanes.delete(laneKey);
    }
    return dropped;
  }
}
