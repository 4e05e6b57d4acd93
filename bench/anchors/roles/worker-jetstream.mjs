/**
 * NATS JetStream with nats.js (@nats-io/transport-node + @nats-io/jetstream): a durable pull
 * consumer with explicit acks on a file-backed work-queue stream, each message acked after
 * the handler ran. `maxMessages` is how many messages the client pulls ahead (JetStream's
 * prefetch, tuned by the runner); the consumer's max_ack_pending is set above it so that it
 * never throttles the pull. The stream and consumer are created here, before "ready", so a
 * prefill can publish into them; the runner deletes the stream afterwards.
 */
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { now } from '../../lib/clock.mjs';
import { createRecorder } from '../../lib/recorder.mjs';
import { config, onStop, send, when } from '../../lib/role.mjs';

const { broker, maxMessages } = config;
const recorder = createRecorder(config);
const nc = await connect({ servers: broker.servers });
const jsm = await jetstreamManager(nc);
await jsm.streams.add({ name: broker.stream, subjects: [broker.subject], storage: StorageType.File, retention: RetentionPolicy.Workqueue, num_replicas: 1 });
await jsm.consumers.add(broker.stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit, max_ack_pending: maxMessages * 4 });
const consumer = await jetstream(nc).consumers.get(broker.stream, 'bench');
let messages;
onStop(async () => {
  messages?.stop();
  await nc.close();
});
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
messages = await consumer.consume({ max_messages: maxMessages });
for await (const message of messages) {
  recorder.record(message.json());
  message.ack();
}
