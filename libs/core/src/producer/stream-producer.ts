/**
 * Publishes messages: XADD for plain messages, one Lua step for idempotent or delayed
 * ones. Publishes issued in the same tick are written to Redis in one pipeline by the
 * client, so an unawaited burst costs one round trip, not one per message.
 */
import { randomUUID } from 'node:crypto';
import { registerStreams } from '../admin/stream-stats.js';
import { encodeEnvelope, payloadBytesOver } from '../envelope.js';
import { PayloadTooLargeError } from '../errors/index.js';
import { KeyBuilder } from '../keys.js';
import type { ProducerOptions, ResolvedProducerOptions } from '../options.js';
import { resolveProducerOptions, resolveWaitForReplicas } from '../options.js';
import { RedisConnection } from '../redis/connection.js';
import { LuaSteps } from '../redis/lua-steps.js';
import { checkServerSafety } from '../redis/server-safety.js';
import type { MessageTracing } from '../tracing/message-tracing.js';
import { loadMessageTracing } from '../tracing/message-tracing.js';
import { ReplicaWait, type WaitForReplicas } from './replica-wait.js';
import { PartitionRouter } from '../partitions/partition-router.js';

export interface PublishOptions {
  idempotencyKey?: string;
  /**
   * Partitioned streams: the partition is `partitionFor(partitionKey, count)`; without one
   * the idempotency key's, without either round-robin. Written as field `pkey`.
   */
  partitionKey?: string;
  headers?: Record<string, string>;
  /** Nest packet metadata (`client.setOnDispatchHook`), read by the worker with `ctx.getMetadata()`. */
  metadata?: Record<string, string>;
  /** Deliver no earlier than this many ms from now. */
  delayMs?: number;
  replyTo?: string;
  correlationId?: string;
  /** Resolve only once this many replicas have the entry (WAIT); `false` turns the producer's default off for this message. */
  waitForReplicas?: WaitForReplicas | false;
}

export interface PublishResult {
  /** The stream entry id; for a delayed message `delayed:<messageId>` until it is promoted. */
  entryId: string;
  /** False when an idempotency key was seen within the TTL and nothing was added. */
  added: boolean;
}

export class StreamProducer {
  readonly options: ResolvedProducerOptions;
  readonly keys: KeyBuilder;
  private readonly registered = new Set<string>();
  private tracing: MessageTracing | undefined;
  /** Set until the optional OpenTelemetry import settled; publishes wait for it once. */
  private tracingLoaded: Promise<void> | undefined;
  private readonly replicaWait: ReplicaWait;
  private readonly router: PartitionRouter;

  private constructor(
    readonly connection: RedisConnection,
    options: ResolvedProducerOptions,
  ) {
    this.options = options;
    this.keys = new KeyBuilder(options.prefix);
    this.replicaWait = new ReplicaWait(connection);
    this.router = new PartitionRouter(connection, this.keys, options.partitions, (source, error) => options.logger.warn(`${source}: ${error.message}`));
    if (options.tracing) {
      this.tracingLoaded = loadMessageTracing().then((tracing) => {
        this.tracing = tracing;
        this.tracingLoaded = undefined;
      });
    }
  }

  static async connect(input: ProducerOptions = {}): Promise<StreamProducer> {
    const options = resolveProducerOptions(input);
    const connection = await RedisConnection.open(
      { url: options.url, client: options.client, cluster: options.cluster, connectTimeoutMs: options.connectTimeoutMs },
      'redstream-producer',
    );
    const producer = new StreamProducer(connection, options);
    try {
      await checkServerSafety(connection, options.logger, options.requireNoEviction);
      await producer.router.resolveConfigured();
    } catch (error) {
      await producer.router.close();
      await connection.disconnect();
      throw error;
    }
    return producer;
  }

  /** Uses an existing connection (shared with a consumer, or owned by the caller). */
  static withConnection(connection: RedisConnection, input: ProducerOptions = {}): StreamProducer {
    return new StreamProducer(connection, resolveProducerOptions(input));
  }

  publish(stream: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    if (this.tracingLoaded !== undefined) return this.tracingLoaded.then(() => this.publish(stream, data, options));
    // `target`: the stream written to, `stream` itself or one of its partitions (`stream#i`).
    let target: string | undefined;
    try {
      target = this.router.route(stream, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (target === undefined) return this.router.learn(stream).then(() => this.publish(stream, data, options));
    const tracing = this.tracing;
    if (tracing === undefined || !tracing.enabled) return this.write(stream, target, data, options);
    return tracing.send(stream, this.keys.stream(target), options, (headers, messageIdKnown) =>
      this.write(stream, target, data, { ...options, headers }, (fields) => messageIdKnown(fields[3])),
    );
  }

  /** `encoded` sees the envelope's fields (`[data, …, id, <messageId>, …]`) before they are written. */
  private write(stream: string, target: string, data: unknown, options: PublishOptions, encoded?: (fields: readonly string[]) => void): Promise<PublishResult> {
    const wait = options.waitForReplicas === undefined ? this.options.waitForReplicas : resolveWaitForReplicas('waitForReplicas', options.waitForReplicas);
    if (wait === false) return this.writeEntry(stream, target, data, options, encoded);
    return this.replicaWait.after(stream, this.keys.stream(target), this.writeEntry(stream, target, data, options, encoded), wait);
  }

  private writeEntry(stream: string, target: string, data: unknown, options: PublishOptions, encoded?: (fields: readonly string[]) => void): Promise<PublishResult> {
    let fields: string[];
    try {
      fields = encodeEnvelope(stream, { data, ...options }, this.options.serializer);
      const oversize = payloadBytesOver(fields, this.options.maxPayloadBytes);
      if (oversize !== undefined) throw new PayloadTooLargeError(stream, oversize, this.options.maxPayloadBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    if (encoded !== undefined) encoded(fields);
    this.register(stream);
    if (options.delayMs !== undefined && options.delayMs > 0) return this.writeDelayed(target, fields, options);
    if (options.idempotencyKey !== undefined) return this.writeIdempotent(target, fields, options.idempotencyKey);
    // The hot path: one XADD, without an async frame of its own.
    return this.connection.send<string>(['XADD', this.keys.stream(target), '*', ...fields]).then(appended);
  }

  private async writeDelayed(stream: string, fields: string[], options: PublishOptions): Promise<PublishResult> {
    const keys = this.keys.forStream(stream);
    const messageId = fields[3];
    const idempotency = options.idempotencyKey === undefined ? undefined : keys.idempotency(options.idempotencyKey);
    return LuaSteps.scheduleDelayed(
      this.connection,
      { delayed: keys.delayed, delayedPayloads: keys.delayedPayloads, idempotency },
      { dueAt: Date.now() + options.delayMs!, member: messageId, fields, ttlMs: this.options.dedupeTtlMs },
    );
  }

  private async writeIdempotent(stream: string, fields: string[], idempotencyKey: string): Promise<PublishResult> {
    const keys = this.keys.forStream(stream);
    return LuaSteps.publishIdempotent(
      this.connection,
      { stream: keys.stream, idempotency: keys.idempotency(idempotencyKey) },
      { ttlMs: this.options.dedupeTtlMs, fields },
    );
  }

  /** Publishes many messages in one pipeline; resolves with their results in order. */
  publishMany(stream: string, messages: readonly { data: unknown; options?: PublishOptions }[]): Promise<PublishResult[]> {
    return Promise.all(messages.map((message) => this.publish(stream, message.data, message.options)));
  }

  newCorrelationId(): string {
    return randomUUID();
  }

  /** The partition counts this producer routes by (cached, kept current by broadcast and polling). */
  get partitions(): PartitionRouter {
    return this.router;
  }

  async close(): Promise<void> {
    await this.router.close();
    await this.connection.close();
  }

  /** Records the stream name once per producer, for discovery by the CLI. */
  private register(stream: string): void {
    if (this.registered.has(stream)) return;
    this.registered.add(stream);
    registerStreams(this.connection, this.keys, [stream]).catch(() => this.registered.delete(stream));
  }
}

function appended(entryId: string): PublishResult {
  return { entryId, added: true };
}
