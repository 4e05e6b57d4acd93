import { Module } from '@nestjs/common';
import type { StreamConsumer } from '@redstream/core';
import type { RedstreamMetrics } from '@redstream/core/metrics';
import { HealthController } from './health.controller.js';
import { JobsHandler } from './jobs.handler.js';
import { MetricsController } from './metrics.controller.js';
import { WORKER_CONSUMER, WORKER_METRICS } from './tokens.js';

let consumer: StreamConsumer | undefined;
let metrics: RedstreamMetrics | undefined;
/** Hands the transport's consumer and its metrics to the HTTP controllers. */
export function provideWorker(workerConsumer: StreamConsumer, workerMetrics: RedstreamMetrics): void {
  consumer = workerConsumer;
  metrics = workerMetrics;
}

@Module({
  controllers: [JobsHandler, HealthController, MetricsController],
  providers: [
    { provide: WORKER_CONSUMER, useValue: () => consumer },
    { provide: WORKER_METRICS, useValue: () => metrics },
  ],
})
export class WorkerModule {}
