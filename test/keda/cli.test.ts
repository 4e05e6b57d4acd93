/**
 * `redstream keda` as users run it (the built CLI in a child process): every output
 * validates against KEDA's schemas, names the stream key KeyBuilder builds, and bad usage
 * exits 2 with one line on stderr.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { KeyBuilder } from '@redstream/core';
import { parseDocuments, validateKedaObject, type KubernetesDoc } from './keda-schema.js';

const cli = join(process.cwd(), 'apps', 'redstream-cli', 'dist', 'main.js');

function redstream(...args: string[]) {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const variants: [string, string[], { key: string; triggers: number; type: string; min: number }][] = [
  ['defaults', [], { key: 'rs:{orders.created}', triggers: 2, type: 'redis-streams', min: 0 }],
  ['lag mode, min 1', ['--mode', 'lag', '--min', '1', '--activation', '10'], { key: 'rs:{orders.created}', triggers: 1, type: 'redis-streams', min: 1 }],
  ['custom prefix', ['--prefix', 'billing', '--target', '200', '--max', '50'], { key: 'billing:{orders.created}', triggers: 2, type: 'redis-streams', min: 0 }],
  ['global --prefix', [], { key: 'app:{orders.created}', triggers: 2, type: 'redis-streams', min: 0 }],
  ['cluster in a namespace', ['--cluster', '-n', 'payments', '--secret', 'redis-creds'], { key: 'rs:{orders.created}', triggers: 2, type: 'redis-cluster-streams', min: 0 }],
];

describe('redstream keda', () => {
  it.each(variants)('%s: YAML and JSON outputs validate and name the exact stream key', (name, flags, expected) => {
    const base = ['keda', 'orders.created', '--group', 'billing', '--deployment', 'billing-worker', ...flags];
    const args = name === 'global --prefix' ? ['--prefix', 'app', ...base] : base;
    const prefix = name === 'global --prefix' ? 'app' : flags.includes('--prefix') ? flags[flags.indexOf('--prefix') + 1] : 'rs';
    expect(new KeyBuilder(prefix).stream('orders.created')).toBe(expected.key);

    const yaml = redstream(...args);
    expect(yaml.stderr).toBe('');
    expect(yaml.code).toBe(0);
    const docs = parseDocuments(yaml.stdout);
    expect(docs.map((d) => d.kind)).toEqual(['TriggerAuthentication', 'ScaledObject']);
    for (const doc of docs) expect(validateKedaObject(doc)).toEqual([]);

    const json = redstream(...args, '--json');
    expect(json.code).toBe(0);
    const output = JSON.parse(json.stdout) as { stream: string; key: string; group: string; manifests: KubernetesDoc[] };
    expect(output).toMatchObject({ stream: 'orders.created', key: expected.key, group: 'billing' });
    expect(output.manifests).toEqual(docs);

    const scaled = docs[1];
    expect(scaled.spec!.minReplicaCount).toBe(expected.min);
    expect(scaled.spec!.triggers).toHaveLength(expected.triggers);
    for (const trigger of scaled.spec!.triggers) {
      expect(trigger).toMatchObject({ type: expected.type, metadata: { stream: expected.key, consumerGroup: 'billing' } });
      expect(trigger.authenticationRef.name).toBe(docs[0].metadata!.name);
    }
    expect(scaled.spec!.triggers[0].metadata).toHaveProperty('lagCount');
  });

  it.each([
    ['missing --group', ['keda', 'orders.created', '--deployment', 'w'], /required option '-g, --group <group>'/],
    ['missing stream', ['keda', '--group', 'g', '--deployment', 'w'], /missing required argument 'stream'/],
    ['empty stream', ['keda', '', '--group', 'g', '--deployment', 'w'], /a stream name or pattern must not be empty/],
    ['non-numeric --target', ['keda', 's', '--group', 'g', '--deployment', 'w', '--target', 'ten'], /--target <n>' argument 'ten' is invalid/],
    ['--target 0', ['keda', 's', '--group', 'g', '--deployment', 'w', '--target', '0'], /--target must be an integer >= 1, got 0/],
    ['--min above --max', ['keda', 's', '--group', 'g', '--deployment', 'w', '--min', '5', '--max', '2'], /--min \(5\) must not exceed --max \(2\)/],
    ['unknown --mode', ['keda', 's', '--group', 'g', '--deployment', 'w', '--mode', 'length'], /Allowed choices are pending, lag/],
    ['deployment not a Kubernetes name', ['keda', 's', '--group', 'g', '--deployment', 'Billing_Worker'], /--deployment "Billing_Worker" is not a Kubernetes name/],
    ['unknown option', ['keda', 's', '--group', 'g', '--deployment', 'w', '--targte', '5'], /unknown option '--targte'/],
  ])('%s: exit 2 with a one-line reason', (_name, args, reason) => {
    const result = redstream(...args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(reason);
  });

  it.each([
    ['an object pattern in JSON', '{"cmd":"sum"}', 'rs:{cmd=sum}'],
    ['its mapped name', 'cmd=sum', 'rs:{cmd=sum}'],
    ['a string pattern a stream name cannot hold', 'orders {eu}', 'rs:{orders%20%7Beu%7D}'],
  ])('takes %s and names the stream the transport uses', (_name, argument, key) => {
    const result = redstream('keda', argument, '--group', 'g', '--deployment', 'w', '--json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as { key: string; manifests: KubernetesDoc[] };
    expect(output.key).toBe(key);
    for (const doc of output.manifests) expect(validateKedaObject(doc)).toEqual([]);
  });
});

describe('redstream keda on a partitioned stream', () => {
  it('renders triggers on every partition and scales on their total; --ordered caps replicas at the partition count', () => {
    const base = ['keda', 'orders.created', '--group', 'billing', '--deployment', 'billing-worker', '--partitions', '6'];
    const yaml = redstream(...base);
    expect(yaml.code).toBe(0);
    const docs = parseDocuments(yaml.stdout);
    for (const doc of docs) expect(validateKedaObject(doc)).toEqual([]);
    const scaled = docs.find((d) => d.kind === 'ScaledObject')! as unknown as { spec: Record<string, any> };
    const triggers = scaled.spec.triggers as { name: string; metadata: Record<string, string> }[];
    expect(triggers.map((t) => t.name)).toEqual([0, 1, 2, 3, 4, 5].flatMap((i) => [`backlog_${i}`, `in_flight_${i}`]));
    expect(new Set(triggers.map((t) => t.metadata.stream))).toEqual(new Set([0, 1, 2, 3, 4, 5].map((i) => new KeyBuilder().forPartition('orders.created', i).stream)));
    const sum = (name: string) => [0, 1, 2, 3, 4, 5].map((i) => `${name}_${i}`).join(' + ');
    expect(scaled.spec.advanced.scalingModifiers).toEqual({ formula: `max(${sum('backlog')}, ${sum('in_flight')})`, target: '50', activationTarget: '0', metricType: 'AverageValue' });
    expect(scaled.spec.maxReplicaCount).toBe(20);

    const ordered = JSON.parse(redstream(...base, '--ordered', '--mode', 'lag', '--json').stdout);
    expect(ordered.partitionKeys).toHaveLength(6);
    const orderedScaled = ordered.manifests.find((m: { kind: string }) => m.kind === 'ScaledObject');
    expect(orderedScaled.spec.maxReplicaCount).toBe(6);
    expect(orderedScaled.spec.advanced.scalingModifiers.formula).toBe(sum('backlog'));

    const refused = redstream('keda', 'orders.created', '--group', 'billing', '--deployment', 'billing-worker', '--ordered');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--ordered needs --partitions');
  });
});
