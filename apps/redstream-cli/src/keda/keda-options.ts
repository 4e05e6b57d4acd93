/**
 * What `redstream keda` renders, validated up front so that a bad flag is a usage error
 * naming the flag, never a manifest that silently scales on the wrong key.
 */
import { DEFAULTS, InvalidOptionError, KeyBuilder, validatePrefix, validateStreamName } from '@redstream/core';
import { UsageError } from '../support/usage-error.js';

/** `pending`: a lagCount trigger (backlog, wakes from zero) and a pendingEntriesCount trigger (in flight). `lag`: lagCount only. */
export type KedaMode = 'pending' | 'lag';
export const KEDA_MODES: readonly KedaMode[] = ['pending', 'lag'];

export interface KedaInput {
  stream: string;
  group: string;
  deployment: string;
  prefix?: string;
  namespace?: string;
  /** Entries per replica for each trigger (the HPA AverageValue target). */
  target?: number;
  min?: number;
  max?: number;
  mode?: KedaMode;
  /** Backlog above which a scaled-to-zero workload wakes (KEDA activationLagCount). */
  activation?: number;
  /** Secret holding `redis-address` / `redis-addresses` and `redis-password`. */
  secret?: string;
  /** Redis Cluster: the `redis-cluster-streams` scaler with every node address. */
  cluster?: boolean;
  pollingInterval?: number;
  cooldownPeriod?: number;
  /** A partitioned stream's partition count (`redstream partitions <stream> --json`): triggers on every partition, scaling on their total. */
  partitions?: number;
  /** An ordered group: at most one replica per partition can own work, so maxReplicaCount is capped at the partition count. */
  ordered?: boolean;
}

export interface KedaOptions {
  stream: string;
  /** The exact key the transport writes, from KeyBuilder: `rs:{orders.created}`. */
  streamKey: string;
  group: string;
  deployment: string;
  namespace: string | undefined;
  target: number;
  min: number;
  max: number;
  mode: KedaMode;
  activation: number;
  secret: string;
  authentication: string;
  cluster: boolean;
  pollingInterval: number;
  cooldownPeriod: number;
  /** Partition stream keys (`rs:{orders.created#0}` …) of a partitioned stream; empty for a plain stream. */
  partitionKeys: string[];
  ordered: boolean;
}

export const KEDA_DEFAULTS = {
  target: 50,
  min: 0,
  max: 20,
  mode: 'pending' as KedaMode,
  activation: 0,
  pollingInterval: 15,
  cooldownPeriod: 300,
} as const;

/** Bad input to `redstream keda` (exit 2); the message is one line naming the flag. */
export class KedaUsageError extends UsageError {
  override readonly name: string = 'KedaUsageError';
}

// Kubernetes object names (RFC 1123 subdomain) and label-safe group names.
const DNS_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function resolveKedaOptions(input: KedaInput): KedaOptions {
  try {
    validateStreamName(input.stream);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new KedaUsageError(`stream ${JSON.stringify(input.stream)} is not a valid stream name (no spaces or braces)`);
  }
  const group = requireText('--group', input.group);
  const deployment = requireName('--deployment', input.deployment);
  const prefix = input.prefix ?? DEFAULTS.prefix;
  try {
    // The core's own rule: a prefix the transport would refuse must not end up in a manifest.
    validatePrefix(prefix);
  } catch (error) {
    if (!(error instanceof InvalidOptionError)) throw error;
    throw new KedaUsageError(`--prefix ${JSON.stringify(prefix)} must be non-empty, without spaces, braces or colons`);
  }
  const namespace = input.namespace === undefined ? undefined : requireName('--namespace', input.namespace);
  const secret = input.secret === undefined ? `${deployment}-redis` : requireName('--secret', input.secret);
  const mode = input.mode ?? KEDA_DEFAULTS.mode;
  if (!KEDA_MODES.includes(mode)) throw new KedaUsageError(`--mode must be one of ${KEDA_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  const min = requireCount('--min', input.min ?? KEDA_DEFAULTS.min, 0);
  const partitions = input.partitions === undefined ? 0 : requireCount('--partitions', input.partitions, 1);
  const ordered = input.ordered ?? false;
  if (ordered && partitions === 0) throw new KedaUsageError('--ordered needs --partitions <n> (the stream\'s partition count): replicas are capped at it');
  const requestedMax = requireCount('--max', input.max ?? KEDA_DEFAULTS.max, 1);
  // Ordered: each partition has one owner, so replicas beyond the partition count would idle.
  const max = ordered ? Math.min(requestedMax, partitions) : requestedMax;
  if (min > max) throw new KedaUsageError(`--min (${min}) must not exceed --max (${max}${ordered ? ', capped at the partition count for --ordered' : ''})`);
  const keys = new KeyBuilder(prefix);
  return {
    stream: input.stream,
    streamKey: keys.stream(input.stream),
    group,
    deployment,
    namespace,
    target: requireCount('--target', input.target ?? KEDA_DEFAULTS.target, 1),
    min,
    max,
    mode,
    activation: requireCount('--activation', input.activation ?? KEDA_DEFAULTS.activation, 0),
    secret,
    authentication: `${deployment}-redis`,
    cluster: input.cluster ?? false,
    pollingInterval: requireCount('--polling-interval', input.pollingInterval ?? KEDA_DEFAULTS.pollingInterval, 1),
    cooldownPeriod: requireCount('--cooldown-period', input.cooldownPeriod ?? KEDA_DEFAULTS.cooldownPeriod, 0),
    partitionKeys: Array.from({ length: partitions }, (_, i) => keys.forPartition(input.stream, i).stream),
    ordered,
  };
}

function requireText(flag: string, value: string | undefined): string {
  if (typeof value !== 'string' || value.trim() === '') throw new KedaUsageError(`${flag} is required`);
  return value;
}

function requireName(flag: string, value: string | undefined): string {
  const name = requireText(flag, value);
  if (!DNS_NAME.test(name)) throw new KedaUsageError(`${flag} ${JSON.stringify(name)} is not a Kubernetes name (lowercase letters, digits, '-' and '.')`);
  return name;
}

function requireCount(flag: string, value: number, minimum: number): number {
  if (!Number.isSafeInteger(value) || value < minimum) throw new KedaUsageError(`${flag} must be an integer >= ${minimum}, got ${value}`);
  return value;
}
