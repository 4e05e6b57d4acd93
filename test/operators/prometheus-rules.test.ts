/**
 * deploy/prometheus: the plain rules file and the PrometheusRule carry the same groups; every
 * expression parses with Prometheus's PromQL grammar and names only series RedstreamMetrics
 * exports (or recording rules of the file), with labels those series have; every alert the
 * README promises is there with a severity and annotations. When promtool is on PATH (Debian's
 * `prometheus` package), `promtool check rules` and the alert scenarios of
 * redstream-rules.test.yaml run too.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parsePromQL, redstreamSeries } from './promql.js';

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleGroup {
  name: string;
  rules: Rule[];
}

const dir = join(process.cwd(), 'deploy', 'prometheus');
const plain = parse(readFileSync(join(dir, 'redstream-rules.yaml'), 'utf8')) as { groups: RuleGroup[] };
const operator = parse(readFileSync(join(dir, 'redstream-prometheusrule.yaml'), 'utf8'));
const rules = plain.groups.flatMap((group) => group.rules);
const recorded = new Set(rules.flatMap((rule) => (rule.record ? [rule.record] : [])));
const series = redstreamSeries();
const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
if (!promtool) console.warn('promtool not on PATH: `promtool check rules` and the alert scenarios not run (install Debian\'s prometheus package)');

describe('deploy/prometheus rules', () => {
  it('the PrometheusRule is the plain rules file for the Prometheus operator', () => {
    expect(operator).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'redstream' } });
    expect(operator.spec.groups).toEqual(plain.groups);
  });

  it.each(rules.map((rule) => [rule.record ?? rule.alert, rule] as const))('%s parses and names only redstream series and their labels', (_name, rule) => {
    const parsed = parsePromQL(rule.expr);
    expect(parsed.errors).toEqual([]);
    expect(parsed.selectors.length).toBeGreaterThan(0);
    for (const selector of parsed.selectors) {
      if (recorded.has(selector.metric)) continue;
      expect([selector.metric, series.has(selector.metric)]).toEqual([selector.metric, true]);
      for (const label of selector.labels) expect([selector.metric, label, series.get(selector.metric)!.includes(label)]).toEqual([selector.metric, label, true]);
    }
    const known = new Set([...series.values()].flat());
    for (const label of parsed.groupingLabels) expect([label, known.has(label)]).toEqual([label, true]);
  });

  it('records with the level:metric:operations naming and alerts with a severity, summary and description', () => {
    for (const rule of rules) {
      expect(Boolean(rule.record) !== Boolean(rule.alert)).toBe(true);
      if (rule.record) expect(rule.record).toMatch(/^redstream:[a-z_]+:[a-z0-9_]+$/);
      if (rule.alert) {
        expect(['warning', 'critical']).toContain(rule.labels?.severity);
        expect(rule.annotations).toEqual({ summary: expect.any(String), description: expect.any(String) });
      }
    }
  });

  it('has the alerts operators need', () => {
    expect(rules.flatMap((rule) => (rule.alert ? [rule.alert] : [])).sort()).toEqual([
      'RedstreamConsumerDisconnected',
      'RedstreamDeadLettersRising',
      'RedstreamLagGrowing',
      'RedstreamMetricsCollectFailing',
      'RedstreamNoConsumers',
      'RedstreamPendingStuck',
    ]);
  });

  (promtool ? it : it.skip)('promtool accepts the file and every alert scenario of redstream-rules.test.yaml passes', () => {
    const check = spawnSync('promtool', ['check', 'rules', 'redstream-rules.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toContain(`SUCCESS: ${rules.length} rules found`);
    const scenarios = spawnSync('promtool', ['test', 'rules', 'redstream-rules.test.yaml'], { cwd: dir, encoding: 'utf8' });
    expect({ status: scenarios.status, output: scenarios.stdout + scenarios.stderr }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });
});
