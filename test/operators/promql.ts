/**
 * PromQL checks shared by the rules and dashboard tests: Prometheus's own PromQL grammar
 * (`@prometheus-io/lezer-promql`, the parser of Prometheus's web UI) finds syntax errors and
 * the metric selectors and label names an expression uses; the metric catalogue comes from a
 * real RedstreamMetrics registry, not from a hand-kept list.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { RedstreamMetrics } from '@redstream/core/metrics';

export interface Selector {
  metric: string;
  labels: string[];
}

export interface ParsedExpression {
  /** Where the grammar could not go on, as `offset: text`; empty when the expression parses. */
  errors: string[];
  selectors: Selector[];
  /** Labels named in by / without / on / ignoring. */
  groupingLabels: string[];
}

export function parsePromQL(expr: string): ParsedExpression {
  const tree = parser.parse(expr);
  const result: ParsedExpression = { errors: [], selectors: [], groupingLabels: [] };
  tree.iterate({
    enter(node) {
      if (node.type.isError) result.errors.push(`${node.from}: ${JSON.stringify(expr.slice(Math.max(0, node.from - 20), node.to + 20))}`);
      if (node.name === 'VectorSelector') {
        const selector: Selector = { metric: '', labels: [] };
        const cursor = node.node.cursor();
        if (cursor.firstChild()) {
          do {
            if (cursor.name === 'Identifier') selector.metric = expr.slice(cursor.from, cursor.to);
          } while (cursor.nextSibling());
        }
        node.node.getChildren('LabelMatchers').forEach((matchers) => {
          matchers.cursor().iterate((inner) => {
            if (inner.name === 'LabelName') selector.labels.push(expr.slice(inner.from, inner.to));
          });
        });
        result.selectors.push(selector);
      }
      if (node.name === 'GroupingLabels') {
        node.node.cursor().iterate((inner) => {
          if (inner.name === 'LabelName') result.groupingLabels.push(expr.slice(inner.from, inner.to));
        });
      }
    },
  });
  return result;
}

/** Labels Prometheus adds to every scraped series (and `le` of histogram buckets). */
const SCRAPE_LABELS = ['instance', 'job'];

/** Every series name RedstreamMetrics exposes, with the labels it carries. */
export function redstreamSeries(): Map<string, string[]> {
  const registry = new Registry();
  new RedstreamMetrics({ registry });
  const metrics = registry.getMetricsAsArray() as unknown as { name: string; type: string; labelNames?: string[] }[];
  const handled = metrics.find((m) => m.name === 'redstream_messages_handled_total');
  if (!handled?.labelNames) throw new Error('redstream_messages_handled_total is not registered');
  const series = new Map<string, string[]>();
  for (const metric of metrics) {
    if (metric.type === 'histogram') {
      // The duration histogram is labelled like the outcome counter (README "Metrics and tracing").
      const labels = [...handled.labelNames, ...SCRAPE_LABELS];
      series.set(`${metric.name}_bucket`, [...labels, 'le']);
      series.set(`${metric.name}_sum`, labels);
      series.set(`${metric.name}_count`, labels);
    } else {
      series.set(metric.name, [...(metric.labelNames ?? []), ...SCRAPE_LABELS]);
    }
  }
  return series;
}

/** Grafana's template variables replaced by values PromQL accepts, so dashboards parse too. */
export function interpolateGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?(\w+)(?::\w+)?\}?/g, (_whole, name: string) => (name.startsWith('__') ? '5m' : 'value'));
}
