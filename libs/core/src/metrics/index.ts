export { RedstreamMetrics, type RedstreamMetricsOptions } from './redstream-metrics.js';
export { MetricsObserver, type ConsumerCounters } from './metrics-observer.js';
