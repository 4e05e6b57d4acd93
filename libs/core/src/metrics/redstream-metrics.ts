/**
 * Prometheus metrics for redstream consumers (prom-client, an optional peer dependency;
 * import from `@redstream/core/metrics`). Counters and the duration histogram move as the
 * consumer works (through its ConsumerObserver hook); the stream and group gauges are read
 * from Redis at scrape time, with one readStreamStats per stream per scrape shared by all
 * gauges, so they are exactly the numbers KEDA's scaler and the CLI read.
 */
import { Counter, Gauge, Registry, register as defaultRegistry } from 'prom-client';
import type { StreamStats } from '../admin/stream-stats.js';
import { readStreamStats } from '../admin/stream-stats.js';
import type { StreamConsumer } from '../consumer/stream-consumer.js';
import { withDeadline } from '../deadline.js';
import { InvalidOptionError } from '../errors/index.js';
import { inspectServer, type ServerSafety } from '../redis/server-safety.js';
import { OUTCOMES } from './handled-tally.js';
import type { EventCounters } from './metrics-observer.js';
import { MetricsObserver } from './metrics-observer.js';
import { TalliedHistogram } from './tallied-histogram.js';
import { streamLabels } from './stream-labels.js';

export interface RedstreamMetricsOptions {
  /** Where the metrics are registered; prom-client's default registry when omitted. */
  registry?: Registry;
  /** Metric name prefix. */
  prefix?: string;
  /** Handler duration histogram buckets, in seconds. */
  durationBuckets?: number[];
  /** How long a scrape waits for Redis before reporting the gauges without stream data. */
  collectTimeoutMs?: number;
}

const DEFAULT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const DEFAULT_COLLECT_TIMEOUT_MS = 2_000;

interface Snapshot {
  streams: StreamStats[];
  /** The Redis server's eviction policy and persistence, as a consumer's connection sees them. */
  server: ServerSafety | undefined;
}

export class RedstreamMetrics {
  readonly registry: Registry;
  private readonly counters: EventCounters;
  private readonly durationBuckets: readonly number[];
  private readonly consumers: StreamConsumer[] = [];
  private readonly observers: MetricsObserver[] = [];
  private readonly collectTimeoutMs: number;
  private readonly collectFailures: Counter;
  private snapshot: Promise<Snapshot> | undefined;

  constructor(options: RedstreamMetricsOptions = {}) {
    this.registry = options.registry ?? defaultRegistry;
    const prefix = options.prefix ?? 'redstream_';
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
      throw new InvalidOptionError('prefix', prefix, 'a Prometheus metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)');
    }
    this.collectTimeoutMs = options.collectTimeoutMs ?? DEFAULT_COLLECT_TIMEOUT_MS;
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name: prefix + name, help, labelNames, registers });

    this.durationBuckets = validBuckets(options.durationBuckets ?? DEFAULT_BUCKETS);
    const handled: Counter<'stream' | 'partition' | 'group' | 'outcome'> = new Counter({
      name: `${prefix}messages_handled_total`,
      help: 'Stream entries handled, by outcome (success, retried, dead-lettered, skipped-duplicate).',
      labelNames: ['stream', 'partition', 'group', 'outcome'],
      registers,
      // Publishes what the observers tallied since the last scrape.
      collect: () => {
        for (const tally of this.tallies()) {
          OUTCOMES.forEach((outcome, index) => {
            handled.inc({ ...streamLabels(tally.stream), group: tally.group, outcome }, tally.handled[index] - tally.published[index]);
            tally.published[index] = tally.handled[index];
          });
        }
      },
    });
    new TalliedHistogram(`${prefix}handler_duration_seconds`, 'Handler run time, by outcome.', () => this.tallies(), this.registry);
    this.counters = {
      reclaimed: counter('messages_reclaimed_total', 'Pending entries of other (dead) consumers taken over with XAUTOCLAIM.', ['stream', 'partition', 'group']),
      deletedOnClaim: counter('reclaim_deleted_total', 'Pending entries XAUTOCLAIM reported deleted from the stream (acked, not handled).', [
        'stream', 'partition', 'group',
      ]),
      trimmed: counter('stream_trimmed_total', 'Entries removed from the stream by retention.', ['stream', 'partition']),
      unreadDropped: counter('stream_unread_dropped_total', 'Entries the opt-in retention cap removed before every group had read them.', [
        'stream', 'partition',
      ]),
      deadLetterDropped: counter('dead_letters_dropped_total', 'Old dead letters dropped by the dead-letter stream cap (deadLetter.maxLen).', [
        'stream', 'partition',
      ]),
      permissionRefused: counter('permission_refused_total', 'Optional steps (reclaim, re-reading own pending entries) refused by Redis with NOPERM and skipped.', [
        'group', 'step',
      ]),
      rateLimitWait: counter('rate_limit_wait_seconds_total', 'Time reads of the stream waited for the group\'s rate limit or a RateLimitedError\'s hold, summed over workers.', [
        'stream', 'partition', 'group',
      ]),
    };
    this.collectFailures = counter('metrics_collect_failures_total', 'Scrapes whose stream gauges could not be read from Redis.', []);

    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, snapshot: Snapshot) => void) => {
      const metric: Gauge<L> = new Gauge<L>({
        name: prefix + name,
        help,
        labelNames,
        registers,
        collect: async () => {
          const snapshot = await this.read();
          metric.reset();
          fill(metric, snapshot);
        },
      });
    };
    // A partitioned stream reports one series per partition (label `partition`); they add up to the stream's figure.
    gauge('stream_length', 'XLEN of the stream.', ['stream', 'partition'], (g, { streams }) => {
      for (const { labels, s } of physical(streams)) g.set(labels, s.length);
    });
    gauge('dead_letter_length', 'XLEN of the stream\'s dead-letter stream (shared by its groups).', ['stream', 'partition'], (g, { streams }) => {
      for (const { labels, s } of physical(streams)) g.set(labels, s.deadLetters);
    });
    gauge('delayed_messages', 'Delayed messages not yet due.', ['stream', 'partition'], (g, { streams }) => {
      for (const { labels, s } of physical(streams)) g.set(labels, s.delayed);
    });
    gauge('group_pending', 'Entries delivered to the group and not yet acked (what KEDA\'s pendingEntriesCount reads).', ['stream', 'partition', 'group'], (g, { streams }) => {
      for (const { labels, s } of physical(streams)) for (const group of s.groups) g.set({ ...labels, group: group.name }, group.pending);
    });
    gauge('group_lag', 'Entries not yet delivered to the group (XINFO GROUPS lag, what KEDA\'s lagCount reads); NaN when Redis cannot compute it.', [
      'stream', 'partition', 'group',
    ], (g, { streams }) => {
      for (const { labels, s } of physical(streams)) for (const group of s.groups) g.set({ ...labels, group: group.name }, group.lag ?? Number.NaN);
    });
    gauge('group_paused', '1 while the group is paused (redstream pause): its workers take no new entries, so lag may grow without work being done.', [
      'stream', 'group',
    ], (g, { streams }) => {
      for (const s of streams) for (const group of s.groups) g.set({ stream: s.stream, group: group.name }, group.paused ? 1 : 0);
    });
    gauge('group_consumers', 'Consumers registered in the group (of a partitioned stream: the most any partition has).', ['stream', 'group'], (g, { streams }) => {
      for (const s of streams) for (const group of s.groups) g.set({ stream: s.stream, group: group.name }, group.consumers);
    });
    gauge('redis_eviction_unsafe', '1 when the Redis maxmemory-policy (label) is not noeviction: at maxmemory Redis deletes streams, groups or dedupe marks; 0 for noeviction.', [
      'policy',
    ], (g, { server }) => {
      const policy = server?.maxmemoryPolicy;
      if (policy !== undefined) g.set({ policy }, policy === 'noeviction' ? 0 : 1);
    });
    gauge('redis_persistence_off', '1 when Redis has neither AOF nor RDB save points (a restart loses every stream); 0 when it persists.', [], (g, { server }) => {
      if (server?.aof === true || server?.rdb === true) g.set(0);
      else if (server?.aof === false && server.rdb === false) g.set(1);
    });
    gauge('consumer_connected', '1 while the consumer is connected to Redis.', ['group'], (g) => {
      for (const consumer of this.consumers) g.set({ group: consumer.options.group }, consumer.status === 'connected' ? 1 : 0);
    });
  }

  /** Counts what the consumer does and reports its streams at scrape time. Call before or after start(). */
  observe(consumer: StreamConsumer): this {
    const observer = new MetricsObserver(this.counters, consumer.options.group, this.durationBuckets);
    consumer.addObserver(observer);
    this.observers.push(observer);
    this.consumers.push(consumer);
    return this;
  }

  private *tallies() {
    for (const observer of this.observers) yield* observer.tallies.values();
  }

  /** One Redis read per scrape: every gauge's collect() of the same scrape shares it. */
  private read(): Promise<Snapshot> {
    this.snapshot ??= this.readStreams().finally(() => {
      this.snapshot = undefined;
    });
    return this.snapshot;
  }

  private async readStreams(): Promise<Snapshot> {
    const reads = new Map<string, Promise<StreamStats>>();
    for (const consumer of this.consumers) {
      if (consumer.status !== 'connected') continue;
      for (const stream of consumer.streams) {
        const key = consumer.keys.stream(stream);
        if (!reads.has(key)) reads.set(key, readStreamStats(consumer.connection, consumer.keys, stream));
      }
    }
    const connected = this.consumers.find((consumer) => consumer.status === 'connected');
    const server = connected === undefined ? Promise.resolve(undefined) : inspectServer(connected.connection);
    try {
      const [streams, safety] = await withDeadline(Promise.all([Promise.all(reads.values()), server]), this.collectTimeoutMs, () => {
        throw new Error(`no reply from Redis within ${this.collectTimeoutMs} ms`);
      });
      return { streams, server: safety };
    } catch {
      this.collectFailures.inc();
      return { streams: [], server: undefined };
    }
  }
}

/** The streams as series: an unpartitioned stream as it is, a partitioned one as its partitions. */
function* physical(streams: readonly StreamStats[]): Generator<{ labels: { stream: string; partition?: string }; s: StreamStats }> {
  for (const s of streams) {
    if (s.partitions === undefined) yield { labels: { stream: s.stream }, s };
    else for (const p of s.partitions) yield { labels: { stream: s.stream, partition: String(p.index) }, s: p };
  }
}

function validBuckets(buckets: readonly number[]): readonly number[] {
  const sorted = buckets.every((bound, i) => Number.isFinite(bound) && bound > 0 && (i === 0 || bound > buckets[i - 1]));
  if (buckets.length === 0 || !sorted) throw new InvalidOptionError('durationBuckets', buckets, 'increasing positive finite bounds, in seconds');
  return [...buckets];
}
