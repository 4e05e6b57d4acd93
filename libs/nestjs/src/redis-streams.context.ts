import { BaseRpcContext } from '@nestjs/microservices';
import { levelOfKey, readMetadata, type PacketMetadata, type PriorityLevel, type ReceivedMessage } from '@redstream/core';

/** What a handler can learn about the entry it handles: `@Ctx() ctx: RedisStreamContext`. */
export class RedisStreamContext extends BaseRpcContext<[ReceivedMessage]> {
  constructor(message: ReceivedMessage) {
    super([message]);
  }

  /** Logical stream name, e.g. `orders.created`. */
  getStream(): string {
    return this.args[0].stream;
  }

  /** The message id of the wire format: the idempotency key if one was given, else a UUID. */
  getMessageId(): string {
    return this.args[0].messageId;
  }

  /** The Redis stream entry id, e.g. `1700000000000-0` (what `emit` returned). */
  getEntryId(): string {
    return this.args[0].entryId;
  }

  /** The priority level it was published with (`setPriority`): the level stream it was read from. */
  getPriority(): PriorityLevel {
    return levelOfKey(this.args[0].streamKey);
  }

  /** 1 on the first delivery, then counts every delivery to any consumer of the group. */
  getDeliveryCount(): number {
    return this.args[0].deliveryCount;
  }

  getHeaders(): Record<string, string> {
    return this.args[0].headers;
  }

  /** Publish time, ms since epoch. */
  getTimestamp(): number {
    return this.args[0].timestamp;
  }

  /** Records progress (a number 0-100 or a small JSON object), shown by `client.getStatus` and `redstream status`. */
  reportProgress(value: number | Record<string, unknown>): Promise<void> {
    return this.args[0].reportProgress(value);
  }

  getMessage(): ReceivedMessage {
    return this.args[0];
  }

  /** What the client's dispatch hook (`client.setOnDispatchHook`) attached to the packet; null when nothing was. */
  getMetadata(): PacketMetadata | null {
    if (this.metadata === undefined) this.metadata = readMetadata(this.args[0].fields);
    return this.metadata;
  }
  private metadata: PacketMetadata | null | undefined;

  /**
   * The error a handler threw, seen before Nest's exception filter masks it (see
   * `captureHandlerErrors`); the transport dead-letters and retries with it.
   * @internal
   */
  failure: unknown;
}
