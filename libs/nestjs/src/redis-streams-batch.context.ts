import { BaseRpcContext } from '@nestjs/microservices';
import type { ReceivedMessage } from '@redstream/core';

/**
 * What a batch handler (`@EventPattern(pattern, { batch })`) can learn about the messages it
 * handles: `@Ctx() ctx: RedisStreamBatchContext`. Every list is in the order of the payloads.
 */
export class RedisStreamBatchContext extends BaseRpcContext<[readonly ReceivedMessage[]]> {
  constructor(messages: readonly ReceivedMessage[]) {
    super([messages]);
  }

  /** Logical stream name, e.g. `orders.created`. */
  getStream(): string {
    return this.args[0][0].stream;
  }

  /** How many messages the batch holds. */
  getSize(): number {
    return this.args[0].length;
  }

  /** The Redis stream entry ids, e.g. `1700000000000-0` (what `emit` returned). */
  getEntryIds(): string[] {
    return this.args[0].map((message) => message.entryId);
  }

  /** The message ids of the wire format: the idempotency key if one was given, else a UUID. */
  getMessageIds(): string[] {
    return this.args[0].map((message) => message.messageId);
  }

  /** Each message's delivery count: 1 on the first delivery, then every delivery to any consumer of the group. */
  getDeliveryCounts(): number[] {
    return this.args[0].map((message) => message.deliveryCount);
  }

  getHeaders(): Record<string, string>[] {
    return this.args[0].map((message) => message.headers);
  }

  /** Publish times, ms since epoch. */
  getTimestamps(): number[] {
    return this.args[0].map((message) => message.timestamp);
  }

  /** The messages themselves (ids, payload, headers, fields), in the order of the payloads. */
  getMessages(): readonly ReceivedMessage[] {
    return this.args[0];
  }

  /**
   * The error the handler threw, seen before Nest's exception filter masks it (see
   * `captureHandlerErrors`); the transport retries with it (a BatchFailure keeps its ids).
   * @internal
   */
  failure: unknown;
}
