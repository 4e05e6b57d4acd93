/** redstream worker: a NestJS microservice on RedisStreamsServer with one @EventPattern handler (`config.extras`: its extras, e.g. `batch`). */
import { NestFactory } from '@nestjs/core';
import { RedisStreamsServer } from '@redstream/nestjs';
import { now } from '../lib/clock.mjs';
import { benchModule } from '../lib/nest-handlers.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const recorder = createRecorder(config);
const app = await NestFactory.createMicroservice(benchModule(config.stream, recorder, config.extras, config.workMs), {
  strategy: new RedisStreamsServer({ url: config.url, group: 'bench', consumer: 'bench-worker', ...config.server }),
  logger: ['error', 'warn'],
});
onStop(() => app.close());
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
await app.listen();
