/**
 * deploy/grafana/redstream.json loads as Grafana expects it (the dashboard JSON model, with
 * ajv against grafana-dashboard.schema.json), picks its Prometheus data source from a
 * `datasource` variable, filters by `stream` and `group` variables, and every query parses
 * with Prometheus's PromQL grammar and names only series RedstreamMetrics exports — all of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { interpolateGrafanaVariables, parsePromQL, redstreamSeries } from './promql.js';

interface Target {
  expr: string;
  refId: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string | { query: string };
  datasource?: { type: string; uid: string };
  includeAll?: boolean;
  allValue?: string;
}

const dashboard = JSON.parse(readFileSync(join(process.cwd(), 'deploy', 'grafana', 'redstream.json'), 'utf8'));
const schema = JSON.parse(readFileSync(join(process.cwd(), 'test', 'operators', 'grafana-dashboard.schema.json'), 'utf8'));
const panels: Panel[] = (dashboard.panels as Panel[]).flatMap((panel) => [panel, ...(panel.panels ?? [])]);
const queryPanels = panels.filter((panel) => panel.type !== 'row');
const targets = queryPanels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, panelId: panel.id, ...target })));
const variables: Variable[] = dashboard.templating.list;
const variableQuery = (v: Variable) => (typeof v.query === 'string' ? v.query : v.query.query);
const series = redstreamSeries();
const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

describe('deploy/grafana/redstream.json', () => {
  it('validates against the dashboard JSON model', () => {
    const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false }).compile(schema);
    expect(validate(dashboard) ? [] : validate.errors).toEqual([]);
  });

  it('has unique panel ids and panels that do not overlap on the 24-column grid', () => {
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Map<string, string>();
    for (const panel of panels) {
      const { h, w, x, y } = panel.gridPos;
      expect(x + w).toBeLessThanOrEqual(24);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const key = `${row}:${column}`;
          expect([key, cells.get(key)]).toEqual([key, undefined]);
          cells.set(key, panel.title);
        }
      }
    }
  });

  it('takes its Prometheus data source from a datasource variable, in every panel and query', () => {
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of queryPanels) expect([panel.title, panel.datasource]).toEqual([panel.title, PROMETHEUS_DATASOURCE]);
    for (const target of targets) expect([target.panel, target.refId, target.datasource]).toEqual([target.panel, target.refId, PROMETHEUS_DATASOURCE]);
    for (const variable of variables.filter((v) => v.type === 'query')) expect(variable.datasource).toEqual(PROMETHEUS_DATASOURCE);
  });

  it('filters by stream and group variables read from the redstream metrics', () => {
    for (const name of ['stream', 'group']) {
      const variable = variables.find((v) => v.name === name)!;
      expect(variable).toMatchObject({ type: 'query', includeAll: true, allValue: '.*' });
      const [, selector, label] = /^label_values\((.+), (\w+)\)$/.exec(variableQuery(variable))!;
      expect(label).toBe(name);
      const parsed = parsePromQL(interpolateGrafanaVariables(selector));
      expect(parsed.errors).toEqual([]);
      expect(series.get(parsed.selectors[0].metric)).toContain(name);
    }
    const streamFiltered = targets.filter((t) => /stream=~"\$stream"/.test(t.expr));
    const groupFiltered = targets.filter((t) => /group=~"\$group"/.test(t.expr));
    expect(streamFiltered.length).toBeGreaterThan(targets.length / 2);
    expect(groupFiltered.length).toBeGreaterThan(targets.length / 2);
  });

  it.each(targets.map((t) => [`${t.panel} (panel ${t.panelId}) ${t.refId}`, t.expr] as const))('%s parses and names only redstream series and their labels', (_name, expr) => {
    const parsed = parsePromQL(interpolateGrafanaVariables(expr));
    expect(parsed.errors).toEqual([]);
    for (const selector of parsed.selectors) {
      expect([selector.metric, series.has(selector.metric)]).toEqual([selector.metric, true]);
      for (const label of selector.labels) expect([selector.metric, label, series.get(selector.metric)!.includes(label)]).toEqual([selector.metric, label, true]);
    }
  });

  it('shows every metric RedstreamMetrics exports', () => {
    const used = new Set(targets.flatMap((t) => parsePromQL(interpolateGrafanaVariables(t.expr)).selectors.map((s) => s.metric)));
    const families = [...series.keys()].map((name) => name.replace(/_(bucket|sum|count)$/, ''));
    const missing = [...new Set(families)].filter((family) => ![...used].some((name) => name === family || name.startsWith(`${family}_`)));
    expect(missing).toEqual([]);
  });

  it('has the panels operators look for', () => {
    const titles = queryPanels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining(['Throughput by outcome', 'Handler duration', 'Pending', 'Lag', 'Dead letters', 'Consumers per group', 'Metrics collect failures']),
    );
    const duration = targets.filter((t) => t.panel === 'Handler duration').map((t) => t.expr);
    expect(duration.map((expr) => /histogram_quantile\((0\.\d+),/.exec(expr)?.[1])).toEqual(['0.5', '0.95', '0.99']);
  });
});
