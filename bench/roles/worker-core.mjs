/**
 * The engine alone: @redstream/core's StreamConsumer with a plain async no-op handler,
 * no NestJS. Shows what the Nest `@EventPattern` pipeline adds on top of the engine.
 */
import { StreamConsumer } from '@redstream/core';
import { now } from '../lib/clock.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const recorder = createRecorder(config);
const consumer = new StreamConsumer({ url: config.url, group: 'bench', consumer: 'bench-core-worker', ...config.server });
consumer.subscribe(config.stream, async (message) => {
  recorder.record(message.data);
});
onStop(() => consumer.stop());
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
await consumer.start();
