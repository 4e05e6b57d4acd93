/**
 * The dispatcher's side of ordered consumption: every entry of an `ordered` subscription
 * passes its key's lane (key-lanes.ts) before it may run, and a gate before it starts —
 * nothing of a partition starts once this consumer's lease on it is no longer valid
 * (partition-ownership.ts sets the gate).
 *
 * The lane key is the partition stream plus the entry's `pkey` field; an entry without
 * one (written by another program) is ordered with its partition as its key.
 */
import { KeyLanes } from './key-lanes.js';

export interface OrderedEntry {
  readonly entryId: string;
  readonly streamKey: string;
  readonly fields: readonly string[];
}

const PARTITION_KEY_FIELD = 'pkey';
const SEPARATOR = '\u0000';

export function laneKeyOf(streamKey: string, fields: readonly string[]): string {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === PARTITION_KEY_FIELD) return `${streamKey}${SEPARATOR}${fields[i + 1]}`;
  return streamKey;
}

export class OrderedLanes<T extends OrderedEntry> {
  private readonly lanes = new KeyLanes<T>();
  /** Whether entries of a partition stream may start here now (its lease is held and valid). */
  mayStartIn: (streamKey: string) => boolean = () => true;
  /** Told the ids of a partition's entries let go here without being started (the ownership keeps their delivery counts). */
  letGoUnstarted: (streamKey: string, entryIds: readonly string[]) => void = () => undefined;

  get queued(): number {
    return this.lanes.queued;
  }

  /** True when the entry may go on to a handler slot now; otherwise it waits behind its key. */
  admit(entry: T): boolean {
    return this.lanes.admit(laneKeyOf(entry.streamKey, entry.fields), entry);
  }

  mayStart(entry: T): boolean {
    return this.mayStartIn(entry.streamKey);
  }

  /** The entry was handled or dead-lettered: the next entry of its key, now holding the lane, or undefined. */
  release(entry: OrderedEntry): T | undefined {
    return this.lanes.release(laneKeyOf(entry.streamKey, entry.fields), entry.entryId);
  }

  /** Forgets the lanes of one partition stream; returns the entries that waited in them. */
  dropStream(streamKey: string): T[] {
    return this.lanes.dropLanes((laneKey) => laneKey === streamKey || laneKey.startsWith(`${streamKey}${SEPARATOR}`));
  }

  /** Forgets every lane (shutdown); returns the entries that waited. */
  dropAll(): T[] {
    return this.lanes.dropLanes(() => true);
  }
}
