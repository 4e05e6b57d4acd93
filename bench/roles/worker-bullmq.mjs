/**
 * BullMQ worker: a no-op processor with the given concurrency. BullMQ 5.x from the root's
 * devDependencies, or BullMQ 6 from the bench's anchors package when `bullmqModule` is set.
 */
import { now } from '../lib/clock.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const { Worker } = await import(config.bullmqModule ?? 'bullmq');
const recorder = createRecorder(config);
const worker = new Worker(config.queue, async (job) => recorder.record(job.data), {
  connection: { host: '127.0.0.1', port: config.port, maxRetriesPerRequest: null },
  concurrency: config.concurrency,
  autorun: false,
});
worker.on('error', (error) => console.error('bullmq worker error:', error.message));
await worker.waitUntilReady();
onStop(() => worker.close());
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
void worker.run();
