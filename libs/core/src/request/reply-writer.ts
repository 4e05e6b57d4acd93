/** Worker side of request-response: writes an answer, value by value, into the requester's reply stream. */
import { DEFAULTS } from '../constants.js';
import type { Serializer } from '../envelope.js';
import { RedstreamError } from '../errors/index.js';
import type { KeyBuilder } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';

type ReplyError = { message: string; [key: string]: unknown };

/** One answer being written. Writes go out in call order; every method resolves once its entry is in Redis. */
export interface ReplyStream {
  /** One value; more may follow. */
  next(value: unknown): Promise<void>;
  /** The answer is complete: marks the value still waiting to be written as the last, or writes a bare completion. */
  complete(): Promise<void>;
  /** Ends the answer with an error. */
  error(error: ReplyError): Promise<void>;
  /** A plain (non-streamed) result: one final entry. */
  single(value: unknown): Promise<void>;
  readonly ended: boolean;
}

interface PendingReply {
  fields: string[];
  final: boolean;
  /** Its XADD has left: too late to mark it final. */
  sending: boolean;
  written: Promise<void>;
  markWritten: (error?: unknown) => void;
}

export class ReplyWriter {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly serializer: Serializer,
  ) {}

  /** Only reply streams this prefix's requesters own are written to: a request cannot make a worker write elsewhere. */
  isValidReplyTo(replyTo: string): boolean {
    return this.keys.isReplyStream(replyTo);
  }

  open(replyTo: string, correlationId: string): ReplyStream {
    if (!this.isValidReplyTo(replyTo)) {
      throw new RedstreamError('ERR_BAD_REPLY_TO', `Refusing to reply to "${replyTo}": not a reply stream of prefix "${this.keys.prefix}" (expected ${this.keys.replyStream('<uuid>')}).`);
    }
    return new QueuedReplyStream(this, replyTo, correlationId);
  }

  /** @internal one reply entry, written with its stream's cap and expiry. */
  write(replyTo: string, fields: string[]): Promise<void> {
    return Promise.all([
      this.connection.send(['XADD', replyTo, 'MAXLEN', '~', DEFAULTS.request.replyMaxLen, '*', ...fields]),
      this.connection.send(['PEXPIRE', replyTo, DEFAULTS.request.replyTtlMs]),
    ]).then(() => undefined);
  }

  /** @internal */
  serialize(value: unknown): string {
    return value === undefined ? '' : this.serializer.serialize(value);
  }
}

/**
 * Writes one entry at a time, so that a completion arriving while a value is still queued
 * marks that value final instead of costing an entry of its own (as Nest's servers do).
 */
class QueuedReplyStream implements ReplyStream {
  private readonly queue: PendingReply[] = [];
  private writing = false;
  ended = false;

  constructor(
    private readonly writer: ReplyWriter,
    private readonly replyTo: string,
    private readonly correlationId: string,
  ) {}

  next(value: unknown): Promise<void> {
    if (this.ended) return Promise.resolve();
    return this.enqueue(this.valueFields(value), false);
  }

  single(value: unknown): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return this.enqueue(this.valueFields(value), true);
  }

  complete(): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    const last = this.queue[this.queue.length - 1];
    if (last !== undefined && !last.final && !last.sending) {
      last.final = true;
      return last.written;
    }
    return this.enqueue(['correlationId', this.correlationId], true);
  }

  error(error: ReplyError): Promise<void> {
    if (this.ended) return Promise.resolve();
    this.ended = true;
    return this.enqueue(['correlationId', this.correlationId, 'err', JSON.stringify(error)], true);
  }

  private valueFields(value: unknown): string[] {
    const data = this.writer.serialize(value);
    // `undefined` travels as a value-less entry: the requester sees a completion, as with Nest's transports.
    return value === undefined ? ['correlationId', this.correlationId] : ['correlationId', this.correlationId, 'data', data];
  }

  private enqueue(fields: string[], final: boolean): Promise<void> {
    let markWritten!: (error?: unknown) => void;
    const written = new Promise<void>((resolve, reject) => {
      markWritten = (error) => (error === undefined ? resolve() : reject(error));
    });
    this.queue.push({ fields, final, sending: false, written, markWritten });
    if (!this.writing) void this.drain();
    return written;
  }

  private async drain(): Promise<void> {
    this.writing = true;
    // Yield once so that a completion in the same tick as the last value is merged into it.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const reply = this.queue[0];
      reply.sending = true;
      try {
        await this.writer.write(this.replyTo, [...reply.fields, 'ts', String(Date.now()), 'disposed', reply.final ? '1' : '0']);
        reply.markWritten();
      } catch (error) {
        reply.markWritten(error);
      }
      this.queue.shift();
    }
    this.writing = false;
  }
}
