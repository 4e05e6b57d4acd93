import { Controller, Get, Header, Inject } from '@nestjs/common';
import type { RedstreamMetrics } from '@redstream/core/metrics';
import { Registry } from 'prom-client';
import { WORKER_METRICS } from './tokens.js';

/** Prometheus scrape endpoint: consumer counters plus stream/group gauges read at scrape time. */
@Controller()
export class MetricsController {
  constructor(@Inject(WORKER_METRICS) private readonly metrics: () => RedstreamMetrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  scrape(): Promise<string> {
    return this.metrics().registry.metrics();
  }
}
