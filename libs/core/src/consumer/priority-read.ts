/**
 * One read over the priority levels of a reader's streams (`rs:{s}:high`, `rs:{s}`,
 * `rs:{s}:low`), highest first:
 *
 * - weighted: the read's count is shared by weight (smooth weighted round robin, so even
 *   reads of a few entries give `low` its turn over time); one non-blocking XREADGROUP per
 *   level, pipelined. A level that returned less than its share is empty for now: what it
 *   left unused goes, in a second round, to the levels that filled theirs.
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

  constructor(private readonly order: Exclude<ResolvedPriority, false>) {
    this.shares = new WeightedShares(order.order === 'weighted' ? order.weights : { high: 1, normal: 1, low: 1 });
  }

  async read(connection: RedisConnection, levels: LevelKeys, read: LevelRead): Promise<XReadReply> {
    const replies = this.order.order === 'strict' ? await this.readStrict(connection, levels, read) : await this.readWeighted(connection, levels, read);
    if (replies.length > 0) return replies;
    if (!read.beforeBlock()) return null;
    const keys = levels.flatMap((level) => level.keys);
    return connection.send<XReadReply>([
      'XREADGROUP', 'GROUP', read.group, read.consumer, 'COUNT', String(read.count), 'BLOCK', String(read.blockMs), 'STREAMS', ...keys, ...keys.map(() => '>'),
    ]);
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

  private async readWeighted(connection: RedisConnection, levels: LevelKeys, read: LevelRead): Promise<[string, [string, string[] | null][]][]> {
    const byLevel = new Map(levels.map((level) => [level.level, level.keys]));
    const slot = new Map(levels.map((level, i) => [level.level, i]));
    // Per level, so the reply lists the higher levels' entries first.
    const replies: [string, [string, string[] | null][]][][] = levels.map(() => []);
    let open = levels.map((level) => level.level);
    let left = read.count;
    for (let round = 0; round < WEIGHTED_ROUNDS && left > 0 && open.length > 0; round++) {
      const shares = this.shares.split(left, open);
      const got = await Promise.all(
        open.map((level) => (shares[level] > 0 ? readNow(connection, read, byLevel.get(level)!, shares[level], replies[slot.get(level)!]) : 0)),
      );
      left -= got.reduce((sum, n) => sum + n, 0);
      // Only a level that filled its share may have more waiting.
      open = open.filter((level, i) => shares[level] > 0 && got[i] >= shares[level]);
    }
    return replies.flat();
  }
}

/**
 * Smooth weighted round robin over the levels (as nginx balances upstreams): each slot of a
 * read goes to the level with the most credit, which then pays the total weight back. The
 * credits carry over from read to read, so over many small reads every level gets its
 * weight's share, and `low` its turn.
 */
export class WeightedShares {
  private readonly credits: Record<PriorityLevel, number> = { high: 0, normal: 0, low: 0 };

  constructor(private readonly weights: Readonly<Record<PriorityLevel, number>>) {}

  /** Splits `count` over `levels` by weight, carrying the credits over to the next read. */
  split(count: number, levels: readonly PriorityLevel[]): Record<PriorityLevel, number> {
    const weights = this.weights;
    const shares: Record<PriorityLevel, number> = { high: 0, normal: 0, low: 0 };
    if (levels.length === 1) {
      shares[levels[0]] = count;
      return shares;
    }
    let total = 0;
    for (const level of levels) total += weights[level];
    for (let i = 0; i < count; i++) {
      let best = levels[0];
      for (const level of levels) {
        this.credits[level] += weights[level];
        if (this.credits[level] > this.credits[best]) best = level;
      }
      this.credits[best] -= total;
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
