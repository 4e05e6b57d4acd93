/**
 * Creates consumer groups (XGROUP CREATE ... MKSTREAM) and re-creates them when a
 * read finds them gone (NOGROUP: stream deleted, Redis restarted without persistence),
 * and keeps the streams in the registry (`rs:streams`) that the CLI lists.
 *
 * A group that exists is not created again: at maxmemory with `noeviction`, XGROUP CREATE
 * is refused with OOM even for an existing group, and a restarted worker must still start
 * and drain (XREADGROUP, XACK, XAUTOCLAIM and XTRIM all work at OOM). For the same reason
 * the registry write is best-effort: refused (OOM, NOPERM), it is logged and retried at
 * the next recovery, never a reason not to consume.
 */
import { registerStreams } from '../admin/stream-stats.js';
import type { KeyBuilder } from '../keys.js';
import type { Logger } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';

export class GroupManager {
  private registryWarned = false;

  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly startFrom: '0' | '$',
    private readonly logger: Logger,
    private readonly keys?: KeyBuilder,
  ) {}

  /** Creates the group on each stream unless it exists; returns the keys where it was created. */
  async ensure(streamKeys: readonly string[]): Promise<string[]> {
    const created: string[] = [];
    await Promise.all(
      streamKeys.map(async (key) => {
        if (await this.exists(key)) return;
        try {
          await this.connection.send(['XGROUP', 'CREATE', key, this.group, this.startFrom, 'MKSTREAM']);
          created.push(key);
        } catch (error) {
          if (!isErrorReply(error, 'BUSYGROUP')) throw error;
        }
      }),
    );
    await this.register(streamKeys);
    return created;
  }

  /** Called after a NOGROUP reply: re-creates what is missing, says so, and returns where it did. */
  async recover(streamKeys: readonly string[]): Promise<string[]> {
    const created = await this.ensure(streamKeys);
    if (created.length > 0) {
      this.logger.warn(`consumer group "${this.group}" was missing on ${created.join(', ')} (stream deleted or Redis restarted without persistence); re-created it`);
    }
    return created;
  }

  /** XINFO GROUPS: true when the group is there. A missing stream, or XINFO refused, leaves it to XGROUP CREATE. */
  private async exists(key: string): Promise<boolean> {
    try {
      const groups = await this.connection.send<(string | number)[][]>(['XINFO', 'GROUPS', key]);
      return groups.some((fields) => fields[fields.indexOf('name') + 1] === this.group);
    } catch {
      return false;
    }
  }

  private async register(streamKeys: readonly string[]): Promise<void> {
    if (!this.keys) return;
    const keys = this.keys;
    // A partition registers its logical stream: the CLI lists `orders.created`, not each `orders.created#i`.
    const logical = (name: string) => keys.parsePartition(name)?.name ?? name;
    const names = [...new Set(streamKeys.map((key) => keys.parseStream(key)).filter((name): name is string => name !== undefined).map(logical))];
    if (names.length === 0) return;
    try {
      await registerStreams(this.connection, keys, names);
    } catch (error) {
      if (this.registryWarned) return;
      this.registryWarned = true;
      this.logger.warn(
        `could not add ${names.join(', ')} to the stream registry ${keys.registry} (${(error as Error).message}); ` +
          'consuming goes on, but `redstream streams` does not list them until a later attempt succeeds',
      );
    }
  }
}
