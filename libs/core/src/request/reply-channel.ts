/**
 * Request-response over streams. A requester owns a reply stream
 * (`rs:{reply.<clientId>}`); a request entry carries `replyTo` (that key) and
 * `correlationId`; the worker answers with an entry `correlationId`, `data` (the
 * serialized result) or `err` (JSON error), `ts`. Reply streams are capped and expire,
 * so a requester that dies leaves nothing behind for long.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULTS } from '../constants.js';
import type { Serializer } from '../envelope.js';
import { fieldsToObject } from '../envelope.js';
import { RedstreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { Logger } from '../options.js';
import type { RedisConnection } from '../redis/connection.js';

export interface Reply {
  correlationId: string;
  data?: unknown;
  error?: { message: string; [key: string]: unknown };
}

export class RequestTimeoutError extends RedstreamError {
  constructor(stream: string, timeoutMs: number) {
    super('ERR_REQUEST_TIMEOUT', `No reply to the request on stream "${stream}" within ${timeoutMs} ms (is a worker with a @MessagePattern handler for it running?).`);
  }
}

/** Worker side: writes replies into the requester's stream. */
export class ReplyWriter {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly serializer: Serializer,
  ) {}

  /** Only reply streams of this prefix are written to; a request cannot make a worker write elsewhere. */
  isValidReplyTo(replyTo: string): boolean {
    return replyTo.startsWith(`${this.keys.prefix}:{reply.`) && replyTo.endsWith('}');
  }

  async send(replyTo: string, reply: Reply): Promise<void> {
    if (!this.isValidReplyTo(replyTo)) throw new RedstreamError('ERR_BAD_REPLY_TO', `Refusing to reply to "${replyTo}": not a reply stream of prefix "${this.keys.prefix}".`);
    const fields = ['correlationId', reply.correlationId, 'ts', String(Date.now())];
    if (reply.error !== undefined) fields.push('err', JSON.stringify(reply.error));
    else fields.push('data', reply.data === undefined ? 'null' : this.serializer.serialize(reply.data));
    await Promise.all([
      this.connection.send(['XADD', replyTo, 'MAXLEN', '~', DEFAULTS.request.replyMaxLen, '*', ...fields]),
      this.connection.send(['PEXPIRE', replyTo, DEFAULTS.request.replyTtlMs]),
    ]);
  }
}

type ReplyCallback = (reply: Reply) => void;

/** Requester side: one blocking XREAD loop on a dedicated connection, dispatching by correlation id. */
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

  expect(correlationId: string, callback: ReplyCallback): () => void {
    this.waiting.set(correlationId, callback);
    return () => this.waiting.delete(correlationId);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.reader.disconnect();
    await this.loop;
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
    const callback = this.waiting.get(fields.correlationId);
    if (!callback) return; // timed out already, or not ours
    this.waiting.delete(fields.correlationId);
    if (fields.err !== undefined) {
      let error: Reply['error'];
      try {
        error = JSON.parse(fields.err);
      } catch {
        error = { message: fields.err };
      }
      callback({ correlationId: fields.correlationId, error });
      return;
    }
    let data: unknown;
    try {
      data = this.serializer.deserialize(fields.data ?? 'null');
    } catch (error) {
      callback({ correlationId: fields.correlationId, error: { message: `reply cannot be decoded: ${(error as Error).message}` } });
      return;
    }
    callback({ correlationId: fields.correlationId, data });
  }
}
