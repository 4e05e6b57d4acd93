/**
 * Demo worker: a Nest HTTP app (health on PORT, default 3001) with the Redis Streams
 * transport connected as a microservice, consuming `demo.jobs` in group `demo-workers`.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisStreamsServer } from '@redstream/nestjs';
import { DEMO_GROUP } from './demo-stream.js';
import { provideConsumer, WorkerModule } from './worker.module.js';

async function bootstrap(): Promise<void> {
  const server = new RedisStreamsServer({
    url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    group: process.env.WORKER_GROUP ?? DEMO_GROUP,
    concurrency: Number(process.env.WORKER_CONCURRENCY ?? 64),
    shutdownTimeoutMs: Number(process.env.SHUTDOWN_TIMEOUT_MS ?? 25_000),
  });
  provideConsumer(server.consumer);
  const app = await NestFactory.create(WorkerModule, { logger: ['log', 'warn', 'error'] });
  app.connectMicroservice({ strategy: server }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  const port = Number(process.env.PORT ?? 3001);
  await app.listen(port, '0.0.0.0');
  new Logger('DemoWorker').log(`worker ${server.consumer.consumerName} consuming; health on http://127.0.0.1:${port}/health`);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
