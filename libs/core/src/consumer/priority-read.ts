/**
 * One read over the priority levels of a reader's streams (`rs:{s}:high`, `rs:{s}`,
 * `rs:{s}:low`), highest first:
 *
 * - weighted: the read's count is shared by weight (smooth weighted round robin, so even
 *   reads of a few entries give `low` its turn over time); one non-blocking XREADGROUP per
 *   level, pipelined. A level that returned less than its share is empty for now: what it
 *   left unused goes, in a second round, to the levels that filled theirs, and on the next
 *   reads it is only probed for one entry until it has entries again.
 * - strict: one level after the other, each read only for what the higher ones left.
 *
 * Only when every level is empty does it block, in one XREADGROUP over every level stream.
 */
import type { PriorityLevel } from '../keys.js';
import type { ResolvedPriority } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import type { XReadReply } from './stream-reader.js';

/** Stream keys to read per level, highest first; a level without keys is left out. */
export type LevelKeys = readonly { readonly level: PriorityLevel; readonly keys: readonly string[] }[];

export interface LevelRead {
  readonly group: string;
  readonly consumer: string;
  readonly count: number;
  readonly blockMs: number;
  /** Called right before the blocking read; false: return without blocking (wake-up, shutdown). */
  readonly beforeBlock: () => boolean;
}

/** Rounds of a weighted read: the first by weight, then one for the share that empty levels left. */
const WEIGHTED_ROUNDS = 2;

export class PriorityRead {
  private readonly shares: WeightedShares;
  /**
   * Levels that came back short on their last read (by their first stream key: readers of
   * different slots share this reader): empty for now, probed for one entry (weighted reads).
   */
  private readonly drained = new Set<string>();

  constructor(private readonly order: Exclude<ResolvedPriority, false>) {
    this.shares = new WeightedShares(order.order === 'weighted' ? order.weights : { high: 1, normal: 1, low: 1 });
  }

  /**
   * `moreWaiting`: a weighted read came back short of its count (by the probes' slots), yet
   * some level filled its share, so more may be waiting: the read loop then reads ahead as
   * after a full read.
   */
  async read(connection: RedisConnection, levels: LevelKeys, read: LevelRead): Promise<{ reply: XReadReply; moreWaiting: boolean }> {
    const { replies, moreWaiting } = this.order.order === 'strict'
      ? { replies: await this.readStrict(connection, levels, read), moreWaiting: false }
      : await this.readWeighted(connection, levels, read);
    if (replies.length > 0) return { reply: replies, moreWaiting };
    if (!read.beforeBlock()) return { reply: null, moreWaiting: false };
    const keys = levels.flatMap((level) => level.keys);
    const reply = await connection.send<XReadReply>([
      'XREADGROUP', 'GROUP', read.group, read.consumer, 'COUNT', String(read.count), 'BLOCK', String(read.blockMs), 'STREAMS', ...keys, ...keys.map(() => '>'),
    ]);
    return { reply, moreWaiting: false };
  }

  private async readStrict(connection: RedisConnection, levels: LevelKeys, read: LevelRead): Promise<[string, [string, string[] | null][]][]> {
    const replies: [string, [string, string[] | null][]][] = [];
    let left = read.count;
    for (const { keys } of levels) {
      const got = await readNow(connection, read, keys, left, replies);
      left -= got;
      if (left <= 0) break;
    }
    return replies;
  }

  /**
   * Round one: every level that had entries on the last read gets its weighted share; a level
   * that came back short then (empty for now) is only probed for one entry, so a drained
   * level does not leave most of each read unused and force a second round trip. Round two,
   * only when round one left more than the probes' slots unused: what is left goes to the
   * levels that filled their share.
   */
  private async readWeighted(connection: RedisConnection, levels: LevelKeys, read: LevelRead): Promise<{ replies: [string, [string, string[] | null][]][]; moreWaiting: boolean }> {
    // Per level, so the reply lists the higher levels' entries first.
    const replies: [string, [string, string[] | null][]][][] = levels.map(() => []);
    // Probes only while some level has entries and the read has room beyond the probes.
    const drained = levels.filter((level) => this.drained.has(level.keys[0])).length;
    const probes = drained < levels.length && read.count > drained ? drained : 0;
    const probed = (level: LevelKeys[number]) => probes > 0 && this.drained.has(level.keys[0]);
    const shares = this.shares.split(read.count - probes, levels.filter((level) => !probed(level)).map((level) => level.level));
    let round = levels.map((level, index) => ({ index, share: probed(level) ? 1 : shares[level.level] }));
    let left = read.count;
    let moreWaiting = false;
    for (let pass = 0; pass < WEIGHTED_ROUNDS; pass++) {
      const wanted = round.filter(({ share }) => share > 0);
      const got = await Promise.all(wanted.map(({ index, share }) => readNow(connection, read, levels[index].keys, share, replies[index])));
      const open: number[] = [];
      for (let k = 0; k < wanted.length; k++) {
        left -= got[k];
        const { index, share } = wanted[k];
        // Only a level that filled its share may have more waiting.
        if (got[k] >= share) {
          open.push(index);
          this.drained.delete(levels[index].keys[0]);
        } else this.drained.add(levels[index].keys[0]);
      }
      moreWaiting = open.length > 0;
      if (left <= probes || open.length === 0) break;
      const second = this.shares.split(left, open.map((i) => levels[i].level));
      round = open.map((index) => ({ index, share: second[levels[index].level] }));
    }
    return { replies: replies.flat(), moreWaiting };
  }
}

/**
 * Smooth weighted round robin over the levels (as nginx balances upstreams), in closed form:
 * each level first takes the whole slots its weight gives it (`count * weight / total`,
 * rounded down) and keeps the fraction as credit; the few slots left (fewer than the levels)
 * go one by one to the level with the most credit, which pays the total weight back. The
 * credits carry over from read to read, so over many small reads every level gets its
 * weight's share, and `low` its turn. A few steps per level, not per slot: reads ask for
 * hundreds of entries at a time (slot by slot it was ~0.5 µs of worker CPU per message).
 */
export class WeightedShares {
  private readonly credits: Record<PriorityLevel, number> = { high: 0, normal: 0, low: 0 };

  constructor(private readonly weights: Readonly<Record<PriorityLevel, number>>) {}

  /** Splits `count` over `levels` by weight, carrying the credits over to the next read. */
  split(count: number, levels: readonly PriorityLevel[]): Record<PriorityLevel, number> {
    const { weights, credits } = this;
    const shares: Record<PriorityLevel, number> = { high: 0, normal: 0, low: 0 };
    if (levels.length === 1) {
      shares[levels[0]] = count;
      return shares;
    }
    let total = 0;
    for (const level of levels) total += weights[level];
    let left = count;
    for (const level of levels) {
      const whole = Math.floor((count * weights[level]) / total);
      shares[level] = whole;
      credits[level] += count * weights[level] - whole * total;
      left -= whole;
    }
    for (; left > 0; left--) {
      let best = levels[0];
      for (const level of levels) if (credits[level] > credits[best]) best = level;
      credits[best] -= total;
      shares[best] += 1;
    }
    return shares;
  }
}

/** A non-blocking XREADGROUP of up to `count` entries (per stream) over `keys`; appends to `into`, returns how many came. */
async function readNow(connection: RedisConnection, read: LevelRead, keys: readonly string[], count: number, into: [string, [string, string[] | null][]][]): Promise<number> {
  const reply = await connection.send<XReadReply>([
    'XREADGROUP', 'GROUP', read.group, read.consumer, 'COUNT', String(count), 'STREAMS', ...keys, ...keys.map(() => '>'),
  ]);
  if (reply === null) return 0;
  let got = 0;
  for (const stream of reply) {
    into.push(stream);
    got += stream[1].length;
  }
  return got;
}
