/**
 * Anchor: NATS JetStream through nats.js (@nats-io/transport-node + @nats-io/jetstream, the
 * packages Nest 12's own NATS transport uses) against the nats-server on 127.0.0.1:4222
 * (BENCH_NATS_URL): a file-backed work-queue stream, a durable pull consumer with explicit
 * acks, publishes confirmed by the stream. How many messages the client pulls ahead is the
 * best of a few values measured at the start. The server is shared and keeps its own disk:
 * measured once per run, and every stream is deleted after its figure.
 */
import { anchorRole, bestOf, brokerName, probe } from '../lib/anchors.mjs';
import { drainThroughput, liveThroughput } from '../lib/scenarios.mjs';

const servers = process.env.BENCH_NATS_URL ?? '127.0.0.1:4222';
const where = new URL(servers.includes('://') ? servers : `nats://${servers}`);
const worker = (id, maxMessages) => ({
  system: 'jetstream',
  role: anchorRole('worker-jetstream'),
  prefill: { role: anchorRole('publisher-jetstream'), mode: 'jetstream-burst' },
  config: { maxMessages, broker: { servers, stream: brokerName(id), subject: `redstream-bench.${process.pid}.${id}` } },
});

async function withStream(id, measure) {
  try {
    return await measure();
  } finally {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstreamManager } = await import('@nats-io/jetstream');
    const nc = await connect({ servers });
    await (await jetstreamManager(nc)).streams.delete(brokerName(id)).catch(() => undefined);
    await nc.close();
  }
}

export function jetstreamAnchor(settings) {
  const tuned = { maxMessages: settings.pullCandidates[0], rates: {}, broker: undefined };
  return {
    id: 'jetstream',
    tuned,
    async unavailable() {
      try {
        await probe(where.hostname, Number(where.port || 4222));
        const { connect } = await import('@nats-io/transport-node');
        const { jetstreamManager } = await import('@nats-io/jetstream');
        const nc = await connect({ servers });
        try {
          tuned.broker = `nats-server ${nc.info.version}`;
          if (!nc.info.jetstream) return `nats-server on ${where.host} runs without JetStream: JetStream rows skipped`;
          await jetstreamManager(nc);
          return undefined;
        } finally {
          await nc.close();
        }
      } catch (error) {
        return `NATS JetStream not reachable on ${where.host} (${error.code ?? error.message}): JetStream rows skipped`;
      }
    },
    async tune(redis, tuneN, log) {
      log(`tuning the JetStream pull consumer's max_messages (${tuned.broker}, ${tuneN.toLocaleString('en-US')} messages):`);
      const { best, rates } = await bestOf(
        settings.pullCandidates,
        (maxMessages) => withStream(`tune.jetstream.m${maxMessages}`, () => drainThroughput(redis, `tune.jetstream.m${maxMessages}`, tuneN, worker(`tune.jetstream.m${maxMessages}`, maxMessages))),
        (maxMessages) => `max_messages ${maxMessages}`,
        log,
      );
      Object.assign(tuned, { maxMessages: best, rates });
    },
    figures: [
      { id: 'drain.jetstream', anchor: 'jetstream', section: 'drain', unit: 'msg/s', aof: false,
        label: () => `NATS JetStream (nats.js), ${tuned.broker}: file-backed work-queue stream, durable pull consumer, explicit ack, max_messages ${tuned.maxMessages} (best of ${settings.pullCandidates.join('/')})`,
        measure: (redis, id) => withStream(id, () => drainThroughput(redis, id, settings.n, worker(id, tuned.maxMessages))) },
      { id: 'live.jetstream', anchor: 'jetstream', section: 'live', unit: 'msg/s', aof: false,
        label: () => `NATS JetStream consumer (max_messages ${tuned.maxMessages}) + \`js.publish\` bursts (each acked by the stream)`,
        measure: (redis, id) => withStream(id, async () => (await liveThroughput(redis, id, settings.n, worker(id, tuned.maxMessages), { role: anchorRole('publisher-jetstream'), mode: 'jetstream-burst' })).rate) },
    ],
  };
}
