/**
 * Renders the KEDA objects that autoscale a redstream worker: a TriggerAuthentication
 * reading the Redis address and password from a Secret, and a ScaledObject whose
 * `redis-streams` triggers name the exact stream key and group the transport uses.
 * Pure functions: deploy/keda's base and overlays are checked against their output.
 */
import type { KedaOptions } from './keda-options.js';

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}

export interface RedisStreamsTrigger {
  type: 'redis-streams' | 'redis-cluster-streams';
  name: string;
  metadata: Record<string, string>;
  authenticationRef: { name: string };
}

export const KEDA_API_VERSION = 'keda.sh/v1alpha1';

/** The Secret keys the TriggerAuthentication reads; the worker reads `REDIS_URL` from the same Secret. */
export const SECRET_KEYS = {
  url: 'REDIS_URL',
  address: 'redis-address',
  addresses: 'redis-addresses',
  password: 'redis-password',
} as const;

export function renderKedaManifests(options: KedaOptions): KubernetesObject[] {
  return [renderTriggerAuthentication(options), renderScaledObject(options)];
}

export function renderTriggerAuthentication(options: KedaOptions): KubernetesObject {
  return {
    apiVersion: KEDA_API_VERSION,
    kind: 'TriggerAuthentication',
    metadata: objectMetadata(options.authentication, options),
    spec: {
      secretTargetRef: [
        options.cluster
          ? { parameter: 'addresses', name: options.secret, key: SECRET_KEYS.addresses }
          : { parameter: 'address', name: options.secret, key: SECRET_KEYS.address },
        { parameter: 'password', name: options.secret, key: SECRET_KEYS.password },
      ],
    },
  };
}

export function renderScaledObject(options: KedaOptions): KubernetesObject {
  return {
    apiVersion: KEDA_API_VERSION,
    kind: 'ScaledObject',
    metadata: objectMetadata(options.deployment, options),
    spec: {
      scaleTargetRef: { name: options.deployment },
      pollingInterval: options.pollingInterval,
      cooldownPeriod: options.cooldownPeriod,
      minReplicaCount: options.min,
      maxReplicaCount: options.max,
      ...(options.partitionKeys.length > 0 && { advanced: { scalingModifiers: totalOverPartitions(options) } }),
      triggers: options.partitionKeys.length > 0 ? renderPartitionTriggers(options) : renderTriggers(options),
    },
  };
}

/**
 * A partitioned stream: KEDA's scalers read one stream each, and the HPA would take the
 * largest per-partition replica count, not the total. So every partition gets its triggers
 * (`backlog_<i>`, `in_flight_<i>`) and KEDA's scaling modifier (2.12+) combines them into
 * one composite metric: the backlog summed over the partitions, or (mode pending) the larger
 * of the summed backlog and the summed in-flight entries, per `--target` entries a replica.
 */
function totalOverPartitions(options: KedaOptions): Record<string, string> {
  const sum = (name: string) => options.partitionKeys.map((_, i) => `${name}_${i}`).join(' + ');
  const formula = options.mode === 'lag' ? sum('backlog') : `max(${sum('backlog')}, ${sum('in_flight')})`;
  return { formula, target: String(options.target), activationTarget: String(options.activation), metricType: 'AverageValue' };
}

export function renderPartitionTriggers(options: KedaOptions): RedisStreamsTrigger[] {
  const type = options.cluster ? 'redis-cluster-streams' : 'redis-streams';
  const authenticationRef = { name: options.authentication };
  return options.partitionKeys.flatMap((stream, i) => {
    const where = { stream, consumerGroup: options.group };
    const backlog: RedisStreamsTrigger = { type, name: `backlog_${i}`, metadata: { ...where, lagCount: String(options.target) }, authenticationRef };
    if (options.mode === 'lag') return [backlog];
    return [backlog, { type, name: `in_flight_${i}`, metadata: { ...where, pendingEntriesCount: String(options.target) }, authenticationRef }];
  });
}

/**
 * `backlog` (lagCount: entries not yet delivered to the group) is the trigger that can wake
 * a workload scaled to zero; `in-flight` (pendingEntriesCount: delivered, not yet acked)
 * keeps replicas while work is running or left pending by a dead pod. The HPA takes the
 * larger of the two replica counts.
 */
export function renderTriggers(options: KedaOptions): RedisStreamsTrigger[] {
  const type = options.cluster ? 'redis-cluster-streams' : 'redis-streams';
  const authenticationRef = { name: options.authentication };
  const where = { stream: options.streamKey, consumerGroup: options.group };
  const backlog: RedisStreamsTrigger = {
    type,
    name: 'backlog',
    metadata: { ...where, lagCount: String(options.target), activationLagCount: String(options.activation) },
    authenticationRef,
  };
  if (options.mode === 'lag') return [backlog];
  const inFlight: RedisStreamsTrigger = {
    type,
    name: 'in-flight',
    metadata: { ...where, pendingEntriesCount: String(options.target) },
    authenticationRef,
  };
  return [backlog, inFlight];
}

function objectMetadata(name: string, options: KedaOptions): KubernetesObject['metadata'] {
  const metadata: KubernetesObject['metadata'] = { name };
  if (options.namespace !== undefined) metadata.namespace = options.namespace;
  metadata.labels = { 'app.kubernetes.io/name': options.deployment, 'app.kubernetes.io/part-of': 'redstream' };
  return metadata;
}
