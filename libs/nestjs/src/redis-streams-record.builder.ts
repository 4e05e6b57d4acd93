import { resolveWaitForReplicas, type PublishOptions, type WaitForReplicas } from '@redstream/core';

/** A payload with publish options, built by RedisStreamRecordBuilder and understood by RedisStreamsClient. */
export class RedisStreamRecord<T = unknown> {
  constructor(
    readonly data: T,
    readonly options: Pick<PublishOptions, 'idempotencyKey' | 'partitionKey' | 'headers' | 'delayMs' | 'waitForReplicas'>,
  ) {}
}

/**
 * `client.emit('orders.created', new RedisStreamRecordBuilder(order).setIdempotencyKey(order.id)
 *    .setHeaders({ tenant: 't1' }).setDelay(5_000).build())`
 */
export class RedisStreamRecordBuilder<T = unknown> {
  private idempotencyKey: string | undefined;
  private partitionKey: string | undefined;
  private headers: Record<string, string> | undefined;
  private delayMs: number | undefined;
  private waitForReplicas: WaitForReplicas | false | undefined;

  constructor(private data: T) {}

  setData(data: T): this {
    this.data = data;
    return this;
  }

  /** A repeat publish with this key within the dedupe TTL adds nothing; consumers skip completed keys. */
  setIdempotencyKey(key: string): this {
    if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
      throw new TypeError(`setIdempotencyKey: expected a non-empty string of at most 512 characters, got ${JSON.stringify(key)}`);
    }
    this.idempotencyKey = key;
    return this;
  }

  /**
   * Partitioned streams: messages with the same key go to the same partition (and, for an
   * `ordered: true` handler, are handled in publish order). Without one the idempotency key
   * routes, without either round-robin.
   */
  setPartitionKey(key: string): this {
    if (typeof key !== 'string' || key.length === 0 || key.length > 512) {
      throw new TypeError(`setPartitionKey: expected a non-empty string of at most 512 characters, got ${JSON.stringify(key)}`);
    }
    this.partitionKey = key;
    return this;
  }

  setHeaders(headers: Record<string, string>): this {
    this.headers = { ...this.headers, ...headers };
    return this;
  }

  /** Deliver no earlier than `ms` from now. */
  setDelay(ms: number): this {
    if (!Number.isInteger(ms) || ms < 0) throw new TypeError(`setDelay: expected an integer number of ms >= 0, got ${ms}`);
    this.delayMs = ms;
    return this;
  }

  /** Resolve only once `replicas` replicas have the entry (WAIT, at most `timeoutMs`); `false` overrides the client's default. */
  setWaitForReplicas(wait: WaitForReplicas | false): this {
    this.waitForReplicas = resolveWaitForReplicas('setWaitForReplicas', wait);
    return this;
  }

  build(): RedisStreamRecord<T> {
    return new RedisStreamRecord(this.data, {
      idempotencyKey: this.idempotencyKey,
      partitionKey: this.partitionKey,
      headers: this.headers,
      delayMs: this.delayMs,
      waitForReplicas: this.waitForReplicas,
    });
  }
}
