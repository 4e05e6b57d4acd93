/**
 * deploy/keda against KEDA v2.20.2's schemas: every file, and the kustomize-built output of
 * the base and each overlay; plus the cross-references a schema cannot see (stream key and
 * group the transport really uses, Secret keys, grace period vs shutdown timeout, probes,
 * NetworkPolicy peers) and equality with what `redstream keda` renders.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEFAULTS, KeyBuilder } from '@redstream/core';
import { DEMO_GROUP, DEMO_STREAM } from '../../apps/demo-worker/src/demo-stream.js';
import { resolveKedaOptions, type KedaInput } from '../../apps/redstream-cli/src/keda/keda-options.js';
import { renderKedaManifests } from '../../apps/redstream-cli/src/keda/render-manifests.js';
import { authenticationParameters, KEDA_KINDS, parseDocuments, validateKedaObject, type KubernetesDoc } from './keda-schema.js';

const root = join(process.cwd(), 'deploy', 'keda');
const kustomizations = ['base', 'overlays/scale-to-zero', 'overlays/redis-cluster', 'overlays/scaled-job'];

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) && !/^kustomization\.ya?ml$/.test(name) ? [path] : [];
  });
}

const files = yamlFiles(root).map((path) => ({ name: relative(root, path), docs: parseDocuments(readFileSync(path, 'utf8')) }));
const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const built = new Map<string, KubernetesDoc[]>(
  kubectl ? kustomizations.map((dir) => [dir, parseDocuments(execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8' }))]) : [],
);
if (!kubectl) console.warn('kubectl not on PATH: kustomize-built output not checked (each file still is)');

const demo: KedaInput = { stream: DEMO_STREAM, group: DEMO_GROUP, deployment: 'demo-worker' };
const find = (docs: KubernetesDoc[], kind: string) => docs.filter((doc) => doc.kind === kind);
const one = (docs: KubernetesDoc[], kind: string) => {
  const found = find(docs, kind);
  expect(found).toHaveLength(1);
  return found[0];
};
/** Parsed YAML and rendered objects compare as plain data. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('deploy/keda files', () => {
  it('has the base, the Secret example and every overlay', () => {
    expect(files.map((f) => f.name).sort()).toEqual([
      'base/deployment.yaml',
      'base/networkpolicy.yaml',
      'base/scaledobject.yaml',
      'base/secret.example.yaml',
      'base/triggerauthentication.yaml',
      'overlays/scaled-job/scaledjob.yaml',
    ]);
  });

  it.each(files.map((f) => [f.name, f.docs] as const))('%s: every KEDA object validates against the CRD and scalers schema', (_name, docs) => {
    for (const doc of docs.filter((d) => KEDA_KINDS.includes(d.kind ?? ''))) expect(validateKedaObject(doc)).toEqual([]);
  });
});

(kubectl ? describe : describe.skip)('kustomize-built output', () => {
  it.each(kustomizations)('%s builds and every KEDA object in it validates', (dir) => {
    const docs = built.get(dir)!;
    const keda = docs.filter((d) => KEDA_KINDS.includes(d.kind ?? ''));
    expect(keda.length).toBeGreaterThanOrEqual(2);
    for (const doc of keda) expect(validateKedaObject(doc)).toEqual([]);
  });

  it('base equals `redstream keda demo.jobs --group demo-workers --deployment demo-worker --min 1`', () => {
    const docs = built.get('base')!;
    const [auth, scaled] = renderKedaManifests(resolveKedaOptions({ ...demo, min: 1 }));
    expect(one(docs, 'TriggerAuthentication')).toEqual(plain(auth));
    expect(one(docs, 'ScaledObject')).toEqual(plain(scaled));
  });

  it('scale-to-zero equals the CLI default (--min 0) and wakes on the backlog trigger', () => {
    const docs = built.get('overlays/scale-to-zero')!;
    const [, scaled] = renderKedaManifests(resolveKedaOptions(demo));
    const object = one(docs, 'ScaledObject');
    expect(object).toEqual(plain(scaled));
    expect(object.spec!.minReplicaCount).toBe(0);
    expect(object.spec!.triggers[0].metadata).toMatchObject({ lagCount: '50', activationLagCount: '0' });
  });

  it('redis-cluster equals `--cluster` and lets the Redis nodes reach each other on the cluster bus', () => {
    const docs = built.get('overlays/redis-cluster')!;
    const [auth, scaled] = renderKedaManifests(resolveKedaOptions({ ...demo, min: 1, cluster: true }));
    expect(one(docs, 'TriggerAuthentication')).toEqual(plain(auth));
    expect(one(docs, 'ScaledObject')).toEqual(plain(scaled));
    const ports = one(docs, 'NetworkPolicy').spec!.ingress.flatMap((rule: { ports: { port: number }[] }) => rule.ports.map((p) => p.port));
    expect(ports).toContain(16379);
  });

  it('scaled-job replaces the Deployment and ScaledObject with a ScaledJob on the same key and group', () => {
    const docs = built.get('overlays/scaled-job')!;
    expect(find(docs, 'Deployment')).toHaveLength(0);
    expect(find(docs, 'ScaledObject')).toHaveLength(0);
    const job = one(docs, 'ScaledJob');
    const [, scaled] = renderKedaManifests(resolveKedaOptions({ ...demo, min: 1 }));
    expect(job.spec!.triggers).toEqual(plain(scaled.spec.triggers));
    const pod = job.spec!.jobTargetRef.template;
    expect(pod.spec.restartPolicy).toBe('Never');
    const policy = one(docs, 'NetworkPolicy');
    expect(peersAllow(policy, pod.metadata.labels)).toBe(true);
  });
});

describe('cross-references a schema cannot check', () => {
  const docs = files.flatMap((f) => f.docs);
  const deployment = one(docs, 'Deployment');
  const secret = one(docs, 'Secret');
  const auth = one(docs, 'TriggerAuthentication');
  const scaledObject = one(docs, 'ScaledObject');
  const scaledJob = one(docs, 'ScaledJob');
  const container = deployment.spec!.template.spec.containers[0];
  const env = (name: string) => container.env.find((e: { name: string }) => e.name === name);

  it('every trigger reads the exact stream key the transport writes, for the demo worker\'s group', () => {
    const key = new KeyBuilder(DEFAULTS.prefix).stream(DEMO_STREAM);
    expect(key).toBe('rs:{demo.jobs}');
    for (const trigger of [...scaledObject.spec!.triggers, ...scaledJob.spec!.triggers]) {
      expect(trigger.metadata.stream).toBe(key);
      expect(trigger.metadata.consumerGroup).toBe(DEMO_GROUP);
      expect(trigger.authenticationRef.name).toBe(auth.metadata!.name);
    }
    expect(env('WORKER_GROUP').value).toBe(DEMO_GROUP);
    expect(scaledObject.spec!.scaleTargetRef.name).toBe(deployment.metadata!.name);
  });

  it('uses both a lagCount and a pendingEntriesCount trigger', () => {
    const modes = scaledObject.spec!.triggers.map((t: { metadata: Record<string, string> }) => ('lagCount' in t.metadata ? 'lag' : 'pendingEntriesCount' in t.metadata ? 'pending' : 'length'));
    expect(modes).toEqual(['lag', 'pending']);
  });

  it('the TriggerAuthentication reads keys the Secret has, as parameters the redis scalers accept', () => {
    const allowed = authenticationParameters('redis-streams')!;
    for (const ref of auth.spec!.secretTargetRef) {
      expect(allowed.has(ref.parameter)).toBe(true);
      expect(ref.name).toBe(secret.metadata!.name);
      expect(Object.keys(secret.stringData as object)).toContain(ref.key);
    }
  });

  it('the worker reads REDIS_URL from the Secret and shuts down well inside its grace period', () => {
    expect(env('REDIS_URL').valueFrom.secretKeyRef).toEqual({ name: secret.metadata!.name, key: 'REDIS_URL' });
    const shutdownTimeoutMs = Number(env('SHUTDOWN_TIMEOUT_MS').value);
    expect(shutdownTimeoutMs).toBe(DEFAULTS.shutdownTimeoutMs);
    // Above the handler wait plus the ack flush and connection close that follow it.
    expect(deployment.spec!.template.spec.terminationGracePeriodSeconds * 1_000).toBeGreaterThanOrEqual(shutdownTimeoutMs + 10_000);
    const jobPod = scaledJob.spec!.jobTargetRef.template.spec;
    expect(jobPod.terminationGracePeriodSeconds).toBe(deployment.spec!.template.spec.terminationGracePeriodSeconds);
  });

  it('readiness and liveness probe the worker\'s /health on its PORT', () => {
    const port = container.ports.find((p: { name: string }) => p.name === 'http');
    expect(String(port.containerPort)).toBe(env('PORT').value);
    for (const probe of [container.readinessProbe, container.livenessProbe]) expect(probe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(deployment.spec!.replicas).toBeUndefined(); // the HPA owns it
  });

  it('the NetworkPolicy admits the worker, the producer and the KEDA operator to Redis, nothing else', () => {
    const policy = one(docs, 'NetworkPolicy');
    expect(policy.spec!.policyTypes).toEqual(['Ingress']);
    expect(peersAllow(policy, deployment.spec!.template.metadata.labels)).toBe(true);
    expect(peersAllow(policy, { 'app.kubernetes.io/name': 'demo-producer' })).toBe(true);
    expect(peersAllow(policy, { 'app.kubernetes.io/name': 'some-other-app' })).toBe(false);
    const peers = policy.spec!.ingress.flatMap((rule: { from: unknown[] }) => rule.from);
    expect(peers).toContainEqual({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } },
      podSelector: { matchLabels: { app: 'keda-operator' } },
    });
  });
});

describe('the validator itself', () => {
  const valid = () => structuredClone(renderKedaManifests(resolveKedaOptions(demo))) as unknown as KubernetesDoc[];

  it('accepts what the CLI renders', () => {
    for (const doc of valid()) expect(validateKedaObject(doc)).toEqual([]);
  });

  it('rejects a misspelled trigger field', () => {
    const [, scaled] = valid();
    const trigger = scaled.spec!.triggers[0];
    trigger.authenticationRefs = trigger.authenticationRef;
    delete trigger.authenticationRef;
    expect(validateKedaObject(scaled)).toEqual([expect.stringContaining('/spec/triggers/0 must NOT have additional properties (authenticationRefs)')]);
  });

  it('rejects a misspelled spec field and a missing required one', () => {
    const [, scaled] = valid();
    scaled.spec!.minReplicas = 1;
    delete scaled.spec!.scaleTargetRef;
    const errors = validateKedaObject(scaled);
    expect(errors).toContainEqual(expect.stringContaining('(minReplicas)'));
    expect(errors).toContainEqual(expect.stringContaining("must have required property 'scaleTargetRef'"));
  });

  it('rejects a misspelled metadata key that KEDA would silently ignore', () => {
    const [, scaled] = valid();
    scaled.spec!.triggers[1].metadata.pendingEntryCount = '5';
    expect(validateKedaObject(scaled)).toEqual([expect.stringContaining('/spec/triggers/1/metadata/pendingEntryCount is not a redis-streams metadata key')]);
    const [, other] = valid();
    other.spec!.triggers[0].metadata.consumergroup = other.spec!.triggers[0].metadata.consumerGroup;
    expect(validateKedaObject(other)).toEqual([expect.stringContaining('consumergroup is not a redis-streams metadata key')]);
  });

  it('rejects an unknown scaler type, a wrong value type and min above max', () => {
    const [auth, scaled] = valid();
    scaled.spec!.triggers[0].type = 'redis-stream';
    scaled.spec!.maxReplicaCount = '20';
    scaled.spec!.minReplicaCount = 30;
    const errors = validateKedaObject(scaled);
    expect(errors).toContainEqual(expect.stringContaining('"redis-stream" is not a KEDA scaler'));
    expect(errors).toContainEqual(expect.stringContaining('/spec/maxReplicaCount must be integer'));
    auth.spec!.secretTargetRef[0].paramter = 'address';
    expect(validateKedaObject(auth)).toContainEqual(expect.stringContaining('(paramter)'));
  });
});

/** Whether a pod with these labels matches one of the policy's same-namespace pod peers. */
function peersAllow(policy: KubernetesDoc, labels: Record<string, string>): boolean {
  return policy.spec!.ingress.some((rule: { from: { podSelector?: { matchLabels: Record<string, string> }; namespaceSelector?: unknown }[] }) =>
    rule.from.some(
      (peer) =>
        peer.namespaceSelector === undefined &&
        peer.podSelector !== undefined &&
        Object.entries(peer.podSelector.matchLabels).every(([key, value]) => labels[key] === value),
    ),
  );
}
