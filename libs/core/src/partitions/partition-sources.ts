/**
 * Consumer side of partitioned streams: a subscription to a partitioned stream expands
 * into one source per partition, each a full subscription of its own keys (`rs:{name#i}`,
 * its dead letters, delayed set, dedupe marks …) so that every reliability unit works per
 * partition unchanged, while the handler, its options and its own concurrency limit are
 * shared by all partitions of the stream. The queue controls stay per logical stream and
 * group: every partition's pause key, rate-limit bucket and hold are the logical stream's
 * (`redstream pause orders.created` pauses all its partitions; a rate limit is the stream's).
 */
import type { KeyBuilder, StreamKeys } from '../keys.js';
import type { RedisConnection } from '../redis/connection.js';
import type { PartitionMap } from './partition-map.js';
import type { ResolvedHandlerOptions } from '../options.js';
import type { HeldMessage, Subscription } from '../consumer/held-message.js';
import type { BatchHandler, MessageHandler, ReceivedMessage } from '../consumer/received-message.js';

/** One partition of a subscribed stream: its own keys, everything else from the stream's subscription. */
export class PartitionSubscription implements Subscription {
  progress?: (message: ReceivedMessage, value: unknown) => Promise<void>;
  /** The partition's own stream: the producer refuses priority levels on a partitioned stream. */
  streamKeys: readonly string[];

  constructor(
    private readonly parent: Subscription,
    readonly keys: StreamKeys,
    readonly partition: { readonly name: string; readonly index: number },
  ) {
    this.streamKeys = [keys.stream];
  }

  get handler(): MessageHandler {
    return this.parent.handler;
  }
  get options(): ResolvedHandlerOptions {
    return this.parent.options;
  }
  get batchHandler(): BatchHandler | undefined {
    return this.parent.batchHandler;
  }
  get handleBatch(): BatchHandler | undefined {
    return this.parent.handleBatch;
  }
  set handleBatch(handleBatch: BatchHandler | undefined) {
    this.parent.handleBatch = handleBatch;
  }
  get handle(): MessageHandler {
    return this.parent.handle;
  }
  set handle(handle: MessageHandler) {
    this.parent.handle = handle;
  }
  /** The handler's own concurrency limit counts every partition's running entries. */
  get running(): number {
    return this.parent.running;
  }
  set running(running: number) {
    this.parent.running = running;
  }
  get waiting(): HeldMessage[] {
    return this.parent.waiting;
  }
}

export class PartitionSources {
  /** Logical stream -> its subscription as declared, for the partitions added by growth. */
  private readonly declared = new Map<string, Subscription>();

  constructor(
    private readonly keys: KeyBuilder,
    /** The consumer's sources, by stream name: partitions replace their logical stream here. */
    private readonly subscriptions: Map<string, Subscription>,
  ) {}

  /** Whether `stream` was declared partitioned (expanded) by this consumer. */
  isPartitioned(stream: string): boolean {
    return this.declared.has(stream);
  }

  /**
   * Adds the partitions 0..count-1 of `stream` as sources (at start). The stream itself stays
   * a source only when `keepStream` (it exists: entries published before it was partitioned
   * may wait there); otherwise its partitions replace it.
   */
  expand(stream: string, count: number, keepStream: boolean): Subscription[] {
    const subscription = this.subscriptions.get(stream);
    if (subscription === undefined || count === 0) return [];
    if (!keepStream) this.subscriptions.delete(stream);
    this.declared.set(stream, subscription);
    return this.add(stream, 0, count);
  }

  /**
   * Growth (`from` -> `to`): adds the partitions from..to-1 as sources and returns them. A
   * stream that was not partitioned when the consumer started (from 0) keeps its own stream
   * as a source, since entries published before may still wait there.
   */
  grow(stream: string, from: number, to: number): Subscription[] {
    let parent = this.declared.get(stream);
    if (parent === undefined) {
      parent = this.subscriptions.get(stream);
      if (parent === undefined) return [];
      this.declared.set(stream, parent);
    }
    return this.add(stream, from, to);
  }

  /** The partition's own keys, with the queue controls of the logical stream. */
  private partitionKeys(stream: string, index: number): StreamKeys {
    const logical = this.keys.forStream(stream);
    return { ...this.keys.forPartition(stream, index), paused: logical.paused, rateLimit: logical.rateLimit, rateLimitHold: logical.rateLimitHold };
  }

  /** Takes back sources added by a growth that failed. */
  remove(added: readonly Subscription[]): void {
    for (const source of added) if (this.subscriptions.get(source.keys.name) === source) this.subscriptions.delete(source.keys.name);
  }

  private add(stream: string, from: number, to: number): Subscription[] {
    const parent = this.declared.get(stream)!;
    // Progress reports of a grown partition go where its siblings' go (wired at start).
    const sibling = [...this.subscriptions.values()].find((s) => s === parent || s.partition?.name === stream);
    const added: Subscription[] = [];
    for (let index = from; index < to; index++) {
      const name = this.keys.partitionName(stream, index);
      if (this.subscriptions.has(name)) continue;
      const source = new PartitionSubscription(parent, this.partitionKeys(stream, index), { name: stream, index });
      source.progress = sibling?.progress;
      this.subscriptions.set(name, source);
      added.push(source);
    }
    return added;
  }
}

/**
 * Partitioned streams among the subscriptions (a stored count, or the option `partitions`):
 * each partition becomes a source of its own; the stream itself stays one while it exists
 * (entries published before it was partitioned).
 */
export async function expandPartitionedSubscriptions(
  command: RedisConnection, keys: KeyBuilder, partitions: PartitionMap, subscriptions: Map<string, Subscription>,
): Promise<PartitionSources> {
  await partitions.resolveConfigured();
  const sources = new PartitionSources(keys, subscriptions);
  for (const stream of [...subscriptions.keys()]) {
    const count = await partitions.resolve(stream);
    if (count > 0) sources.expand(stream, count, (await command.send<number>(['EXISTS', keys.stream(stream)])) === 1);
  }
  return sources;
}
