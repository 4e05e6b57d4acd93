/** Requester side of request-response: one blocking XREAD loop on a dedicated connection, dispatching by correlation id. */
import { randomUUID } from 'node:crypto';
import { withDeadline } from '../deadline.js';
import type { Serializer } from '../envelope.js';
import { fieldsToObject } from '../envelope.js';
import type { KeyBuilder } from '../keys.js';
import type { Logger } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';
import type { Reply } from './reply-channel.js';

type ReplyCallback = (reply: Reply) => void;

export class ReplyListener {
  readonly clientId = randomUUID();
  readonly replyTo: string;
  private readonly waiting = new Map<string, ReplyCallback>();
  private lastId = '0-0';
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly reader: RedisConnection,
    keys: KeyBuilder,
    private readonly serializer: Serializer,
    private readonly logger: Logger,
  ) {
    this.replyTo = keys.replyStream(this.clientId);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Calls `callback` with every reply to the request until the final one; the returned function stops listening. */
  expect(correlationId: string, callback: ReplyCallback): () => void {
    this.waiting.set(correlationId, callback);
    return () => this.waiting.delete(correlationId);
  }

  /**
   * Stops reading and deletes this requester's reply stream (nobody else reads it). With Redis
   * unreachable the DEL would wait in the offline queue: the stream expires by itself, so stop
   * does not wait for it longer than `cleanupTimeoutMs`.
   */
  async stop(cleanup?: RedisConnection, cleanupTimeoutMs = 1_000): Promise<void> {
    this.running = false;
    await this.reader.disconnect();
    await this.loop;
    if (cleanup === undefined) return;
    await withDeadline(cleanup.send(['DEL', this.replyTo]).catch(() => undefined), cleanupTimeoutMs, () => undefined);
  }

  private async run(): Promise<void> {
    // The reply stream is new and this client's alone: read it from its start, then follow ids.
    this.lastId = '0-0';
    while (this.running) {
      try {
        const reply = await this.reader.send<[string, [string, string[]][]][] | null>([
          'XREAD', 'COUNT', '500', 'BLOCK', '5000', 'STREAMS', this.replyTo, this.lastId,
        ]);
        if (!reply) continue;
        for (const [, entries] of reply) {
          for (const [entryId, fields] of entries) {
            this.lastId = entryId;
            this.dispatch(fieldsToObject(fields));
          }
        }
      } catch (error) {
        if (!this.running) return;
        this.logger.error(`reply listener: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  }

  private dispatch(fields: Record<string, string>): void {
    const { correlationId } = fields;
    const callback = this.waiting.get(correlationId);
    if (!callback) return; // timed out or cancelled already, or not ours
    const final = fields.disposed !== '0' || fields.err !== undefined;
    if (final) this.waiting.delete(correlationId);
    if (fields.err !== undefined) {
      let error: Reply['error'];
      try {
        error = JSON.parse(fields.err);
      } catch {
        error = { message: fields.err };
      }
      callback({ correlationId, error, final: true });
      return;
    }
    if (fields.data === undefined) {
      callback({ correlationId, final });
      return;
    }
    let data: unknown;
    try {
      data = this.serializer.deserialize(fields.data);
    } catch (error) {
      this.waiting.delete(correlationId);
      callback({ correlationId, error: { message: `reply cannot be decoded: ${(error as Error).message}` }, final: true });
      return;
    }
    callback({ correlationId, data, final });
  }
}
