/**
 * Demo worker: a Nest HTTP app (/health and Prometheus /metrics on PORT, default 3001) with
 * the Redis Streams transport connected as a microservice, consuming `demo.jobs` in group
 * `demo-workers`. EXIT_WHEN_IDLE_MS turns it into a batch worker that exits once drained.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedstreamMetrics } from '@redstream/core/metrics';
import { RedisStreamsExceptionFilter, RedisStreamsServer } from '@redstream/nestjs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEMO_GROUP } from './demo-stream.js';
import { exitWhenIdle } from './exit-when-idle.js';
import { provideWorker, WorkerModule } from './worker.module.js';

async function bootstrap(): Promise<void> {
  const server = new RedisStreamsServer({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    group: process.env.WORKER_GROUP ?? DEMO_GROUP,
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 64),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 25_000),
    // Lifecycle events for the producer's GET /jobs/:id/events (client.watch); WORKER_EVENTS=0 turns them off.
    events: process.env.WORKER_EVENTS !== '0',
  });
  const metrics = new RedstreamMetrics({ registry: new Registry() }).observe(server.consumer);
  collectDefaultMetrics({ register: metrics.registry });
  provideWorker(server.consumer, metrics);
  const app = await NestFactory.create(WorkerModule, { logger: ['log', 'warn', 'error'] });
  // Deferred, so the global filter below is in place before the listeners are created.
  const microservice = app.connectMicroservice({ strategy: server }, { deferInitialization: true });
  // Handler errors reach the transport unmasked: UnrecoverableError skips retries, dead letters keep the message.
  microservice.useGlobalFilters(new RedisStreamsExceptionFilter());
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  const port = Number(process.env.PORT ?? 3001);
  await app.listen(port, '0.0.0.0');
  const logger = new Logger('DemoWorker');
  logger.log(`worker ${server.consumer.consumerName} consuming; health and metrics on http://127.0.0.1:${port}/health, /metrics`);
  if (process.env.EXIT_WHEN_IDLE_MS) exitWhenIdle(app, server.consumer, Number(process.env.EXIT_WHEN_IDLE_MS), logger);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
