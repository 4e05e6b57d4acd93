export { RedstreamMetrics, type RedstreamMetricsOptions } from './redstream-metrics.js';
export { MetricsObserver, type EventCounters } from './metrics-observer.js';
