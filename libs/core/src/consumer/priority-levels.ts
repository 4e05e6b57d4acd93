/**
 * Which priority levels (`setPriority`: `rs:{s}:high`, `rs:{s}`, `rs:{s}:low`) each
 * subscription reads, and the readers' weighted read over them (priority-read.ts).
 *
 * With the `priority` option every level is read from the start (groups created with
 * MKSTREAM). Without it no level is left unread either: the levels found in use (their
 * stream or delayed set exists) are read with the default weights, and a worker looks again
 * every PRIORITY_DISCOVERY_MS, so a level that comes into use later is read within about a
 * second. A subscription without levels keeps `streamKeys = [stream]` and the reader's plain
 * read, untouched.
 *
 * A level taken into use is added to `subscription.streamKeys` (reclaim, own pending, leave
 * group) and to `levelKeys` (delayed promotion, retention, idle-consumer removal).
 * Everything else of a stream (dead letters, dedupe marks, pause, rate limit) is shared by
 * its levels: one per logical stream.
 */
import { DEFAULTS, PRIORITY_DISCOVERY_MS } from '../constants.js';
import { PRIORITY_LEVELS, type PriorityLevel, type StreamKeys } from '../keys.js';
import type { Logger, ResolvedPriority } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import type { ErrorReporter } from './error-reporter.js';
import { GroupManager } from './group-manager.js';
import type { Subscription } from './held-message.js';
import { PriorityRead, type LevelKeys } from './priority-read.js';
import type { StreamReader } from './stream-reader.js';

const OTHER_LEVELS = PRIORITY_LEVELS.filter((level) => level !== 'normal') as ('high' | 'low')[];

export interface PriorityLevelsOptions {
  readonly group: string;
  readonly startFrom: '0' | '$';
  readonly priority: ResolvedPriority;
  readonly logger: Logger;
}

export class PriorityLevels {
  /** Stream key of each subscription → the subscription. */
  private readonly byStream: ReadonlyMap<string, Subscription>;
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private closed = false;
  /** True once some subscription reads more than one level. */
  inUse = false;
  readonly reads: PriorityRead;

  private constructor(
    private readonly connection: RedisConnection,
    subscriptions: readonly Subscription[],
    private readonly options: PriorityLevelsOptions,
    /** Keys of every level in use (`normal` first), for the periodic tasks; grows as levels come into use. */
    readonly levelKeys: StreamKeys[],
    private readonly onChange: () => void,
    private readonly errors: Pick<ErrorReporter, 'report'>,
  ) {
    this.byStream = new Map(subscriptions.map((s) => [s.keys.stream, s]));
    this.reads = new PriorityRead(options.priority || { order: 'weighted', weights: DEFAULTS.priority.weights });
  }

  /** Before the first read: takes the levels into use (all of them with the option, else those found), and gives the readers the weighted read. */
  static async open(
    connection: RedisConnection,
    subscriptions: readonly Subscription[],
    options: PriorityLevelsOptions,
    levelKeys: StreamKeys[],
    readers: readonly StreamReader[],
    onChange: () => void,
    errors: Pick<ErrorReporter, 'report'>,
  ): Promise<PriorityLevels> {
    const levels = new PriorityLevels(connection, subscriptions, options, levelKeys, onChange, errors);
    for (const reader of readers) reader.levels = levels;
    if (options.priority) await levels.takeIntoUse(subscriptions.flatMap((s) => OTHER_LEVELS.map((level) => ({ subscription: s, level }))), options.startFrom);
    else {
      // Not a reason not to start: the next look (a second later) tries again.
      await levels.lookForLevels(options.startFrom).catch((error: Error) => errors.report('priority levels lookup', error));
      levels.timer = setInterval(() => levels.lookInBackground(), PRIORITY_DISCOVERY_MS).unref();
    }
    return levels;
  }

  /** Stops looking. A look under way is not waited for: with Redis down it would wait for Redis (and so would shutdown). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  /** The level streams to read for `streamKeys` (a reader's active streams), highest first; undefined when none of them has levels in use. */
  keysByLevel(streamKeys: readonly string[]): LevelKeys | undefined {
    if (!this.inUse) return undefined;
    let levels = false;
    const byLevel: Record<PriorityLevel, string[]> = { high: [], normal: [], low: [] };
    for (const key of streamKeys) {
      const subscription = this.byStream.get(key);
      if (subscription === undefined || subscription.streamKeys.length === 1) {
        byLevel.normal.push(key);
        continue;
      }
      levels = true;
      for (const levelKey of subscription.streamKeys) byLevel[levelOf(subscription, levelKey)].push(levelKey);
    }
    if (!levels) return undefined;
    return PRIORITY_LEVELS.filter((level) => byLevel[level].length > 0).map((level) => ({ level, keys: byLevel[level] }));
  }

  /** Every stream key read for `streamKeys`, levels included (for a group re-created after NOGROUP). */
  allKeys(streamKeys: readonly string[]): string[] {
    return streamKeys.flatMap((key) => this.byStream.get(key)?.streamKeys ?? [key]);
  }

  private lookInBackground(): void {
    if (this.looking) return;
    this.looking = this.lookForLevels('0')
      .catch((error: Error) => {
        if (!this.closed) this.errors.report('priority levels lookup', error);
      })
      .finally(() => (this.looking = undefined));
  }

  /**
   * A level is in use when its stream or its delayed set exists (one EXISTS per level, both
   * keys in the stream's slot). A level that came into use after the worker started holds
   * only entries published since: its group starts from the beginning (`startFrom` '0').
   */
  private async lookForLevels(startFrom: '0' | '$'): Promise<void> {
    const candidates = [...this.byStream.values()].flatMap((subscription) =>
      OTHER_LEVELS.filter((level) => !subscription.streamKeys.includes(subscription.keys.level(level).stream)).map((level) => ({ subscription, level })),
    );
    if (candidates.length === 0) return;
    const found = await Promise.all(
      candidates.map(({ subscription, level }) => {
        const keys = subscription.keys.level(level);
        return this.connection.send<number>(['EXISTS', keys.stream, keys.delayed]);
      }),
    );
    const inUse = candidates.filter((_, i) => found[i] > 0);
    if (inUse.length === 0 || this.closed) return;
    await this.takeIntoUse(inUse, startFrom);
    const names = inUse.map(({ subscription, level }) => `"${subscription.keys.name}" ${level}`).join(', ');
    this.options.logger.log(`reading priority levels ${names} with the default weights (set the \`priority\` option to choose weights or 'strict')`);
  }

  private async takeIntoUse(levels: readonly { subscription: Subscription; level: 'high' | 'low' }[], startFrom: '0' | '$'): Promise<void> {
    const groups = new GroupManager(this.connection, this.options.group, startFrom, this.options.logger);
    await groups.ensure(levels.map(({ subscription, level }) => subscription.keys.level(level).stream));
    for (const { subscription, level } of levels) {
      const keys = subscription.keys.level(level);
      const order = (key: string) => PRIORITY_LEVELS.indexOf(levelOf(subscription, key));
      // A new array: a reclaim pass may be going through the old one.
      subscription.streamKeys = [...subscription.streamKeys, keys.stream].sort((a, b) => order(a) - order(b));
      this.levelKeys.push(keys);
    }
    this.inUse = true;
    this.onChange();
  }
}

function levelOf(subscription: Subscription, streamKey: string): PriorityLevel {
  if (streamKey === subscription.keys.stream) return 'normal';
  return streamKey === subscription.keys.level('high').stream ? 'high' : 'low';
}
