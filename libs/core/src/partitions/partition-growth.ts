/**
 * Growth of a partitioned stream while the consumer runs (`redstream partitions <s> <n>`,
 * picked up by PartitionMap's broadcast or poll): the new partitions become sources of
 * their own — group created (from the oldest entry: producers may have written to a new
 * partition before this worker saw the growth), queue controls and periodic tasks extended
 * to them, and new readers (one per slot on a cluster, one on a single node) started as
 * lanes of the running read loop. Growths run one after another, never during shutdown.
 */
import type { StreamKeys } from '../keys.js';
import type { GroupManager } from '../consumer/group-manager.js';
import type { Subscription } from '../consumer/held-message.js';
import type { StreamReader } from '../consumer/stream-reader.js';
import { PARTITIONS_REFRESH_MS } from '../constants.js';
import type { PartitionMap } from './partition-map.js';
import type { PartitionSources } from './partition-sources.js';

export interface GrowthTargets {
  readonly sources: PartitionSources;
  /** Creates the group on new partitions, from their oldest entry. */
  readonly groups: GroupManager;
  /** The keys of every source, as the periodic tasks (delayed promotion, retention, idle consumers) iterate them. */
  readonly sourceKeys: StreamKeys[];
  /** The consumer's readers: the new ones are added here (closed at shutdown, woken by RunControl). */
  readonly readers: StreamReader[];
  openReaders(streamKeys: readonly string[]): Promise<StreamReader[]>;
  /** Queue controls and hooks of the consumer (pause, rate limit) on new readers and sources. */
  attach(readers: readonly StreamReader[], added: readonly Subscription[]): Promise<void>;
  /** Starts a lane of the read loop for each new reader. */
  startReading(readers: readonly StreamReader[]): void;
  stopping(): boolean;
  log(message: string): void;
}

export class PartitionGrowth {
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly targets: GrowthTargets) {}

  /** Adds partitions from..to-1 of `stream` (after any growth still under way); resolves when they are read. */
  add(stream: string, from: number, to: number): Promise<void> {
    const next = this.queue.then(() => this.apply(stream, from, to));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Adds the partitions of every growth `map` reports; a growth that failed is tried again after PARTITIONS_REFRESH_MS. */
  follow(map: PartitionMap, report: (source: string, error: Error) => void): void {
    const grow = (stream: string, from: number, to: number): void => {
      this.add(stream, from, to).catch((error: Error) => {
        report(`partition growth of ${stream} (tried again in ${PARTITIONS_REFRESH_MS} ms)`, error);
        setTimeout(() => grow(stream, from, to), PARTITIONS_REFRESH_MS).unref();
      });
    };
    map.onGrowth(grow);
  }

  /** Waits for a growth under way (shutdown). */
  settled(): Promise<void> {
    return this.queue;
  }

  private async apply(stream: string, from: number, to: number): Promise<void> {
    const t = this.targets;
    if (t.stopping()) return;
    const added = t.sources.grow(stream, from, to);
    if (added.length === 0) return;
    const streamKeys = added.map((s) => s.keys.stream);
    let readers: StreamReader[] = [];
    try {
      await t.groups.ensure(streamKeys);
      readers = await t.openReaders(streamKeys);
      if (!t.stopping()) await t.attach(readers, added);
    } catch (error) {
      // Undone, so that the next try (a later poll or broadcast) adds them again.
      t.sources.remove(added);
      await Promise.all(readers.map((reader) => reader.close()));
      throw error;
    }
    if (t.stopping()) {
      await Promise.all(readers.map((reader) => reader.close()));
      return;
    }
    t.sourceKeys.push(...added.map((s) => s.keys));
    t.readers.push(...readers);
    t.startReading(readers);
    t.log(`stream "${stream}" grew from ${from} to ${to} partitions: reading ${streamKeys.join(', ')}`);
  }
}
