/**
 * Creates consumer groups (XGROUP CREATE ... MKSTREAM) and re-creates them when a
 * read finds them gone (NOGROUP: stream deleted, Redis restarted without persistence).
 */
import type { Logger } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import { isErrorReply } from '../redis/connection.js';

export class GroupManager {
  constructor(
    private readonly connection: RedisConnection,
    private readonly group: string,
    private readonly startFrom: '0' | '$',
    private readonly logger: Logger,
  ) {}

  /** Creates the group on each stream unless it exists; returns the keys where it was created. */
  async ensure(streamKeys: readonly string[]): Promise<string[]> {
    const created: string[] = [];
    await Promise.all(
      streamKeys.map(async (key) => {
        try {
          await this.connection.send(['XGROUP', 'CREATE', key, this.group, this.startFrom, 'MKSTREAM']);
          created.push(key);
        } catch (error) {
          if (!isErrorReply(error, 'BUSYGROUP')) throw error;
        }
      }),
    );
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
}
