/** Demo producer: HTTP on PORT (default 3000) — POST /jobs enqueues, GET /jobs/stats shows the streams. */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ProducerModule } from './producer.module.js';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(ProducerModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen(port, '0.0.0.0');
  new Logger('DemoProducer').log(`listening on http://127.0.0.1:${port} (POST /jobs, GET /jobs/stats)`);
}

bootstrap().catch((error) => {
  console.error(error);
  process.exit(1);
});
