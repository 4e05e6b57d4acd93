/**
 * A NATS JetStream producer process (nats.js): `js.publish` into the bench's stream, each
 * publish confirmed by the stream's ack (so it is stored), in bursts of `burst` awaited
 * together (mode jetstream-burst), or at a fixed rate.
 */
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { now } from '../../lib/clock.mjs';
import { runPublisher } from '../../lib/publish-loop.mjs';
import { config, payload } from '../../lib/role.mjs';

const { mode, count, burst = 1000, rate, broker } = config;
if (mode !== 'jetstream-burst') throw new Error(`unknown JetStream publisher mode ${mode}`);
const nc = await connect({ servers: broker.servers });
const js = jetstream(nc);
const client = {
  publishOne: (i) => js.publish(broker.subject, JSON.stringify(payload(i, now()))),
  close: () => nc.close(),
};
await runPublisher(client, { count, burst, rate });
