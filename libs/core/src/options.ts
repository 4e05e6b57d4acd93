/**
 * Options of the consumer (the transport server) and the producer (the client):
 * `resolve*Options` applies the defaults of constants.ts and validates, throwing an
 * InvalidOptionError that names the option, the value given and what is allowed.
 */
import { hostname } from 'node:os';
import { DEFAULT_URL, DEFAULTS, MAX_TIMER_MS } from './constants.js';
import { jsonSerializer } from './envelope.js';
import { InvalidOptionError } from './errors/index.js';
import {
  NAME_HINT,
  NAME_PATTERN,
  rejectUnknownKeys,
  requireBoolean,
  requireInteger,
  requireNonEmptyString,
  requireObject,
  requireOneOf,
  requireRedisUrl,
  validateGroupName,
  validatePrefix,
} from './validation.js';
import type { WaitForReplicas } from './producer/replica-wait.js';
import { resolvePartitionsOption } from './partitions/partition-metadata.js';
import type {
  BackoffOptions,
  ClaimOptions,
  CommonOptions,
  ConsumerOptions,
  HandlerOptions,
  RateLimit,
  BatchOptions,
  Logger,
  PriorityOptions,
  OptionKeys,
  ProducerOptions,
  RetentionOptions,
} from './option-types.js';

export type * from './option-types.js';

export const consoleLogger: Logger = {
  log: (message) => console.log(`[redstream] ${message}`),
  warn: (message) => console.warn(`[redstream] ${message}`),
  error: (message, stack) => console.error(`[redstream] ${message}${stack ? `\n${stack}` : ''}`),
};

const COMMON_KEYS: OptionKeys<CommonOptions> = {
  url: true, cluster: true, tracing: true, client: true, prefix: true, serializer: true, logger: true, connectTimeoutMs: true,
  maxPayloadBytes: true, requireNoEviction: true, partitions: true,
};
const CONSUMER_KEYS = Object.keys({
  ...COMMON_KEYS,
  group: true, consumer: true, startFrom: true, concurrency: true, prefetch: true, blockMs: true, readCount: true, maxDeliveries: true,
  backoff: true, claim: true, dedupe: true, retention: true, deadLetter: true, delayed: true, idleConsumers: true, ack: true,
  shutdownTimeoutMs: true, isUnrecoverable: true, tracking: true, events: true, rateLimit: true, priority: true,
} satisfies OptionKeys<ConsumerOptions>);
const PRODUCER_KEYS = Object.keys({ ...COMMON_KEYS, dedupe: true, requestTimeoutMs: true, waitForReplicas: true } satisfies OptionKeys<ProducerOptions>);

export type ResolvedCommonOptions = ReturnType<typeof resolveCommon>;
export type ResolvedConsumerOptions = ReturnType<typeof resolveConsumerOptions>;
export type ResolvedProducerOptions = ReturnType<typeof resolveProducerOptions>;
export type ResolvedRetention =
  | false
  | { strategy: 'acked'; intervalMs: number }
  | { strategy: 'maxLen'; maxLen: number; intervalMs: number }
  | { strategy: 'maxAge'; maxAgeMs: number; intervalMs: number };

export function resolveConsumerOptions(input: ConsumerOptions) {
  const options = requireObject('options', input) as ConsumerOptions & Record<string, unknown>;
  rejectUnknownKeys('', options, CONSUMER_KEYS);
  const common = resolveCommon(options);
  const concurrency = requireInteger('concurrency', options.concurrency ?? DEFAULTS.concurrency, 1, 100_000);
  if (typeof options.prefetch === 'number' && options.prefetch < concurrency) {
    throw new InvalidOptionError('prefetch', options.prefetch, `an integer >= concurrency (${concurrency}): held entries include the running ones`);
  }
  const prefetch = requireInteger('prefetch', options.prefetch ?? defaultPrefetch(concurrency), 1, 1_000_000);
  const claim = resolveClaim(options.claim);
  const resolved = {
    ...common,
    group: validateGroupName(options.group),
    consumer: requireNonEmptyString('consumer', options.consumer ?? `${hostname()}-${process.pid}`, NAME_PATTERN, NAME_HINT),
    startFrom: requireOneOf('startFrom', options.startFrom ?? DEFAULTS.startFrom, ['0', '$'] as const),
    concurrency,
    prefetch,
    blockMs: requireInteger('blockMs', options.blockMs ?? DEFAULTS.blockMs, 1, MAX_TIMER_MS),
    readCount: requireInteger('readCount', options.readCount ?? defaultReadCount(prefetch), 1, 100_000),
    maxDeliveries: requireInteger('maxDeliveries', options.maxDeliveries ?? DEFAULTS.maxDeliveries, 1, 1_000_000),
    backoff: resolveBackoff('backoff', options.backoff),
    claim,
    dedupe: resolveDedupe(options.dedupe),
    retention: resolveRetention(options.retention),
    deadLetter: {
      maxLen: requireInteger('deadLetter.maxLen', optionalObject('deadLetter', options.deadLetter, ['maxLen']).maxLen ?? DEFAULTS.deadLetter.maxLen, 0),
    },
    delayed: resolveDelayed(options.delayed),
    idleConsumers: resolveIdleConsumers(options.idleConsumers),
    ack: resolveAck(options.ack),
    shutdownTimeoutMs: requireInteger('shutdownTimeoutMs', options.shutdownTimeoutMs ?? DEFAULTS.shutdownTimeoutMs, 0, MAX_TIMER_MS),
    isUnrecoverable: options.isUnrecoverable ?? DEFAULTS.isUnrecoverable,
    events: resolveEvents(options.events),
    rateLimit: resolveRateLimit('rateLimit', options.rateLimit),
    priority: resolvePriority(options.priority),
    tracking: {
      ttlMs: requireInteger('tracking.ttlMs', optionalObject('tracking', options.tracking, ['ttlMs']).ttlMs ?? DEFAULTS.tracking.ttlMs, 1),
    },
  } satisfies Record<keyof ConsumerOptions, unknown>;
  if (typeof resolved.isUnrecoverable !== 'function') {
    throw new InvalidOptionError('isUnrecoverable', options.isUnrecoverable, 'a function (error) => boolean');
  }
  return resolved;
}

export function resolveProducerOptions(input: ProducerOptions = {}) {
  const options = requireObject('options', input) as ProducerOptions & Record<string, unknown>;
  rejectUnknownKeys('', options, PRODUCER_KEYS);
  const dedupe = optionalObject('dedupe', options.dedupe, ['ttlMs']);
  return {
    ...resolveCommon(options),
    connectTimeoutMs: requireInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.clientConnectTimeoutMs, 1, MAX_TIMER_MS),
    dedupeTtlMs: requireInteger('dedupe.ttlMs', dedupe.ttlMs ?? DEFAULTS.dedupe.ttlMs, 1),
    requestTimeoutMs: requireInteger('requestTimeoutMs', options.requestTimeoutMs ?? DEFAULTS.request.timeoutMs, 1, MAX_TIMER_MS),
    waitForReplicas: options.waitForReplicas === undefined ? false : resolveWaitForReplicas('waitForReplicas', options.waitForReplicas),
  };
}

/** `{ replicas, timeoutMs }` or false; a WAIT without timeout (0) would block a publish forever. */
export function resolveWaitForReplicas(option: string, value: unknown): WaitForReplicas | false {
  if (value === false) return false;
  const given = requireObject(option, value);
  rejectUnknownKeys(option, given, ['replicas', 'timeoutMs']);
  return {
    replicas: requireInteger(`${option}.replicas`, given.replicas, 1, 1_000),
    timeoutMs: requireInteger(`${option}.timeoutMs`, given.timeoutMs, 1, MAX_TIMER_MS),
  };
}

/** Merges per-handler overrides over the consumer's options. */
export function resolveHandlerOptions(consumer: ResolvedConsumerOptions, pattern: string, input: HandlerOptions = {}) {
  const at = (name: string) => `handler "${pattern}" ${name}`;
  const options = requireObject(at('extras'), input);
  return {
    maxDeliveries: requireInteger(at('maxDeliveries'), options.maxDeliveries ?? consumer.maxDeliveries, 1, 1_000_000),
    backoff: options.backoff === undefined ? consumer.backoff : resolveBackoff(at('backoff'), options.backoff as BackoffOptions),
    concurrency: requireInteger(at('concurrency'), options.concurrency ?? consumer.concurrency, 1, consumer.concurrency),
    timeoutMs: options.timeoutMs === undefined ? undefined : requireInteger(at('timeoutMs'), options.timeoutMs, 1, MAX_TIMER_MS),
    events: options.events === undefined ? consumer.events !== false : requireBoolean(at('events'), options.events),
    rateLimit: options.rateLimit === undefined ? consumer.rateLimit : resolveRateLimit(at('rateLimit'), options.rateLimit as RateLimit | false),
    batch: options.batch === undefined ? undefined : resolveBatch(at('batch'), options.batch as BatchOptions, consumer.prefetch),
    ordered: resolveOrdered(at('ordered'), options.ordered, consumer, options.batch !== undefined),
  };
}

/** `{ maxSize, maxWaitMs }`: a batch never holds more than the consumer may hold (`prefetch`). */
function resolveBatch(option: string, value: BatchOptions, prefetch: number): Required<BatchOptions> {
  const given = requireObject(option, value);
  rejectUnknownKeys(option, given, ['maxSize', 'maxWaitMs']);
  const maxSize = given.maxSize ?? Math.min(DEFAULTS.batch.maxSize, prefetch);
  if (typeof maxSize === 'number' && Number.isInteger(maxSize) && maxSize > prefetch) {
    throw new InvalidOptionError(`${option}.maxSize`, maxSize, `an integer from 1 to the consumer's prefetch (${prefetch}): a batch's entries are all held at once; lower maxSize or raise prefetch`);
  }
  return {
    maxSize: requireInteger(`${option}.maxSize`, maxSize, 1, prefetch),
    maxWaitMs: requireInteger(`${option}.maxWaitMs`, given.maxWaitMs ?? DEFAULTS.batch.maxWaitMs, 1, MAX_TIMER_MS),
  };
}
export type ResolvedHandlerOptions = ReturnType<typeof resolveHandlerOptions>;

/** Ordered consumption leases partitions for `claim.minIdleMs`: it needs the claim settings. */
function resolveOrdered(option: string, value: unknown, consumer: ResolvedConsumerOptions, batch: boolean): boolean {
  if (value === undefined) return false;
  const ordered = requireBoolean(option, value);
  if (ordered && batch) {
    throw new InvalidOptionError(option, value, 'false for a batch handler (`batch`): ordered consumption hands over one message of a key at a time; drop one of the two');
  }
  if (ordered && consumer.claim === false) {
    throw new InvalidOptionError(option, value, 'false while the consumer has `claim: false` (ordered consumption leases partitions for claim.minIdleMs); turn claim on');
  }
  return ordered;
}

function resolveCommon(options: CommonOptions) {
  if (options.url !== undefined) requireRedisUrl('url', options.url);
  if (options.client !== undefined) {
    requireObject('client', options.client);
    if (options.client.url !== undefined) requireRedisUrl('client.url', options.client.url);
  }
  if (options.cluster !== undefined) {
    const cluster = requireObject('cluster', options.cluster);
    if (!Array.isArray(cluster.rootNodes) || cluster.rootNodes.length === 0) {
      throw new InvalidOptionError('cluster.rootNodes', cluster.rootNodes, 'a non-empty array of node options, e.g. [{ url: "redis://10.0.0.1:6379" }]');
    }
    cluster.rootNodes.forEach((node: unknown, index: number) => {
      const url = (node as { url?: unknown } | null)?.url;
      if (url !== undefined) requireRedisUrl(`cluster.rootNodes[${index}].url`, url);
    });
    if (options.url !== undefined || options.client !== undefined) {
      throw new InvalidOptionError('cluster', '{...}', 'either `cluster` or `url`/`client`, not both');
    }
  }
  const serializer = options.serializer ?? jsonSerializer;
  if (typeof serializer?.serialize !== 'function' || typeof serializer?.deserialize !== 'function') {
    throw new InvalidOptionError('serializer', options.serializer, 'an object with serialize(value) and deserialize(raw) methods');
  }
  return {
    url: options.url ?? options.client?.url ?? DEFAULT_URL,
    client: options.client,
    cluster: options.cluster,
    prefix: validatePrefix(options.prefix ?? DEFAULTS.prefix),
    serializer,
    logger: options.logger ?? consoleLogger,
    connectTimeoutMs: requireInteger('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs, 1, MAX_TIMER_MS),
    tracing: requireBoolean('tracing', options.tracing ?? DEFAULTS.tracing),
    // Up to Redis's own limit for one value (proto-max-bulk-len, 512 MB by default).
    maxPayloadBytes: requireInteger('maxPayloadBytes', options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes, 1, 512 * 1024 * 1024),
    requireNoEviction: requireBoolean('requireNoEviction', options.requireNoEviction ?? false),
    partitions: resolvePartitionsOption(options.partitions),
  } satisfies Record<keyof CommonOptions, unknown>;
}

function optionalObject<K extends string>(option: string, value: unknown, known: readonly K[]): Partial<Record<K, number>> {
  if (value === undefined) return {};
  const object = requireObject(option, value);
  rejectUnknownKeys(option, object, known);
  return object as Partial<Record<K, number>>;
}

function resolveBackoff(option: string, value: BackoffOptions | undefined): Required<BackoffOptions> {
  const given = optionalObject(option, value, ['delayMs', 'maxDelayMs', 'jitter']) as BackoffOptions;
  const delayMs = requireInteger(`${option}.delayMs`, given.delayMs ?? DEFAULTS.backoff.delayMs, 0, MAX_TIMER_MS);
  const maxDelayMs = requireInteger(`${option}.maxDelayMs`, given.maxDelayMs ?? Math.max(DEFAULTS.backoff.maxDelayMs, delayMs), delayMs, MAX_TIMER_MS);
  return { delayMs, maxDelayMs, jitter: requireBoolean(`${option}.jitter`, given.jitter ?? DEFAULTS.backoff.jitter) };
}

function resolveClaim(value: ClaimOptions | false | undefined): Required<ClaimOptions> | false {
  if (value === false) return false;
  const given = optionalObject('claim', value, ['minIdleMs', 'intervalMs', 'count']);
  return {
    minIdleMs: requireInteger('claim.minIdleMs', given.minIdleMs ?? DEFAULTS.claim.minIdleMs, 100, MAX_TIMER_MS),
    intervalMs: requireInteger('claim.intervalMs', given.intervalMs ?? DEFAULTS.claim.intervalMs, 1, MAX_TIMER_MS),
    count: requireInteger('claim.count', given.count ?? DEFAULTS.claim.count, 1, 10_000),
  };
}

function resolveDedupe(value: ConsumerOptions['dedupe']): { ttlMs: number; legacyMarks: boolean } | false {
  if (value === false) return false;
  const given = optionalObject('dedupe', value, ['ttlMs', 'legacyMarks']);
  return {
    ttlMs: requireInteger('dedupe.ttlMs', given.ttlMs ?? DEFAULTS.dedupe.ttlMs, 1),
    legacyMarks: requireBoolean('dedupe.legacyMarks', given.legacyMarks ?? false),
  };
}

function resolveRetention(value: RetentionOptions | undefined): ResolvedRetention {
  if (value === false) return false;
  const given = optionalObject('retention', value, ['strategy', 'intervalMs', 'maxLen', 'maxAgeMs']) as Record<string, unknown>;
  const intervalMs = requireInteger('retention.intervalMs', given.intervalMs ?? DEFAULTS.retention.intervalMs, 1, MAX_TIMER_MS);
  const chosen = ['maxLen', 'maxAgeMs'].filter((key) => given[key] !== undefined);
  if (chosen.length > 1 || (chosen.length === 1 && given.strategy !== undefined)) {
    throw new InvalidOptionError('retention', value, 'only one of { strategy: "acked" }, { maxLen } or { maxAgeMs }');
  }
  if (given.maxLen !== undefined) return { strategy: 'maxLen', maxLen: requireInteger('retention.maxLen', given.maxLen, 1), intervalMs };
  if (given.maxAgeMs !== undefined) return { strategy: 'maxAge', maxAgeMs: requireInteger('retention.maxAgeMs', given.maxAgeMs, 1), intervalMs };
  requireOneOf('retention.strategy', given.strategy ?? 'acked', ['acked'] as const);
  return { strategy: 'acked', intervalMs };
}

function resolveDelayed(value: ConsumerOptions['delayed']): { intervalMs: number; batchSize: number } | false {
  if (value === false) return false;
  const given = optionalObject('delayed', value, ['intervalMs', 'batchSize']);
  return {
    intervalMs: requireInteger('delayed.intervalMs', given.intervalMs ?? DEFAULTS.delayed.intervalMs, 1, MAX_TIMER_MS),
    batchSize: requireInteger('delayed.batchSize', given.batchSize ?? DEFAULTS.delayed.batchSize, 1, 100_000),
  };
}

function resolveIdleConsumers(value: ConsumerOptions['idleConsumers']): { removeAfterMs: number; intervalMs: number } | false {
  if (value === false) return false;
  const given = optionalObject('idleConsumers', value, ['removeAfterMs', 'intervalMs']);
  return {
    removeAfterMs: requireInteger('idleConsumers.removeAfterMs', given.removeAfterMs ?? DEFAULTS.idleConsumers.removeAfterMs, 1, MAX_TIMER_MS),
    intervalMs: requireInteger('idleConsumers.intervalMs', given.intervalMs ?? DEFAULTS.idleConsumers.intervalMs, 1, MAX_TIMER_MS),
  };
}

function resolveAck(value: ConsumerOptions['ack']): { batchSize: number; flushMs: number } {
  const given = optionalObject('ack', value, ['batchSize', 'flushMs']);
  return {
    batchSize: requireInteger('ack.batchSize', given.batchSize ?? DEFAULTS.ack.batchSize, 1, 100_000),
    flushMs: requireInteger('ack.flushMs', given.flushMs ?? DEFAULTS.ack.flushMs, 0, 10_000),
  };
}

/**
 * Held entries apart from running ones (as RabbitMQ's prefetch and JetStream's
 * MaxAckPending): 8 x `concurrency`, so the default consumer (64) reads full 256-entry
 * reads with a second on its way (a core drain at concurrency 64: prefetch 256 ~146K,
 * 512 ~198K, 1,024 ~158K msg/s, medians of 3 interleaved runs, 2026-12-02); capped at
 * 1,024 so a consumer of slow handlers does not sit on thousands of entries another
 * consumer could take (JetStream's MaxAckPending default is 1,000).
 */
function defaultPrefetch(concurrency: number): number {
  return Math.max(concurrency, Math.min(DEFAULTS.prefetch.max, concurrency * DEFAULTS.prefetch.perHandler));
}

/**
 * Half the prefetch (at most 256): a second read can then be on its way while the
 * first read's entries are handled (the consumer reads ahead).
 */
function defaultReadCount(prefetch: number): number {
  return Math.min(DEFAULTS.readCount, Math.ceil(prefetch / 2));
}

/** `{ max, perMs }` (whole entries per whole milliseconds) or false. */
function resolveRateLimit(option: string, value: RateLimit | false | undefined): RateLimit | false {
  if (value === undefined || value === false) return false;
  const given = requireObject(option, value);
  rejectUnknownKeys(option, given, ['max', 'perMs']);
  return { max: requireInteger(`${option}.max`, given.max, 1, 1_000_000_000), perMs: requireInteger(`${option}.perMs`, given.perMs, 1, MAX_TIMER_MS) };
}

/** How the levels are read; `weights` are whole numbers >= 1. */
export type ResolvedPriority = false | { order: 'strict' } | { order: 'weighted'; weights: { high: number; normal: number; low: number } };

function resolvePriority(value: PriorityOptions | 'strict' | false | undefined): ResolvedPriority {
  if (value === undefined || value === false) return false;
  if (value === 'strict') return { order: 'strict' };
  if (typeof value === 'string' || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError('priority', value, "{ weights: { high, normal, low } }, 'strict' or false");
  }
  rejectUnknownKeys('priority', value as Record<string, unknown>, ['weights']);
  const weights = optionalObject('priority.weights', value.weights, ['high', 'normal', 'low']);
  const weight = (level: 'high' | 'normal' | 'low') =>
    requireInteger(`priority.weights.${level}`, weights[level] ?? DEFAULTS.priority.weights[level], 1, 1_000_000);
  return { order: 'weighted', weights: { high: weight('high'), normal: weight('normal'), low: weight('low') } };
}

function resolveEvents(value: ConsumerOptions['events']): false | { maxLen: number } {
  if (value === undefined || value === false) return false;
  if (value === true) return { maxLen: DEFAULTS.events.maxLen };
  const given = optionalObject('events', value, ['maxLen']);
  return { maxLen: requireInteger('events.maxLen', given.maxLen ?? DEFAULTS.events.maxLen, 1) };
}
