/** NestJS's built-in Redis transport (pub/sub, not durable), for reference. */
import { NestFactory } from '@nestjs/core';
import { Transport } from '@nestjs/microservices';
import { now } from '../lib/clock.mjs';
import { benchModule } from '../lib/nest-handlers.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const recorder = createRecorder(config);
const app = await NestFactory.createMicroservice(benchModule(config.stream, recorder), {
  transport: Transport.REDIS,
  options: { host: '127.0.0.1', port: config.port },
  logger: ['error', 'warn'],
});
onStop(() => app.close());
send({ type: 'ready' });
await when('go');
await app.listen();
// Subscribed only once listen() resolved: a pub/sub message published before is lost.
send({ type: 'started', at: now() });
