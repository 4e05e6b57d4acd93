/**
 * Anchor: NestJS's own RabbitMQ transport (`Transport.RMQ`) against the RabbitMQ on
 * 127.0.0.1:5672 (BENCH_RABBITMQ_URL), the durable way: a durable classic queue,
 * persistent messages with publisher confirms, manual acks (`noAck: false`), and the
 * consumer's `prefetchCount` the best of a few values measured at the start, as BullMQ's
 * concurrency is. The broker is shared and keeps its own disk, whatever the bench's Redis
 * persistence: it is measured once per run, and every queue is deleted after its figure.
 */
import { anchorRole, bestOf, brokerName, probe } from '../lib/anchors.mjs';
import { drainThroughput, liveThroughput } from '../lib/scenarios.mjs';

const url = process.env.BENCH_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const where = new URL(url);
const worker = (id, prefetch) => ({
  system: 'nest-rmq',
  role: anchorRole('worker-nest-rmq'),
  prefill: { role: anchorRole('publisher-rmq'), mode: 'amqplib-burst' },
  config: { prefetch, broker: { url, queue: brokerName(id), queueOptions: { durable: true }, pattern: 'bench.event' } },
});

async function withQueue(id, measure) {
  try {
    return await measure();
  } finally {
    const { default: amqplib } = await import('amqplib');
    const connection = await amqplib.connect(url);
    const channel = await connection.createChannel();
    await channel.deleteQueue(brokerName(id));
    await connection.close();
  }
}

export function nestRmqAnchor(settings) {
  const tuned = { prefetch: settings.prefetchCandidates[0], rates: {}, broker: undefined };
  return {
    id: 'nestRmq',
    tuned,
    async unavailable() {
      try {
        await probe(where.hostname, Number(where.port || 5672));
        const { default: amqplib } = await import('amqplib');
        const connection = await amqplib.connect(url);
        const { product, version } = connection.connection.serverProperties;
        tuned.broker = `${product} ${version}`;
        await connection.close();
        return undefined;
      } catch (error) {
        return `RabbitMQ not reachable on ${where.host} (${error.code ?? error.message}): NestJS RMQ transport rows skipped`;
      }
    },
    async tune(redis, tuneN, log) {
      log(`tuning the NestJS RMQ transport's prefetchCount (${tuned.broker}, ${tuneN.toLocaleString('en-US')} messages):`);
      const { best, rates } = await bestOf(
        settings.prefetchCandidates,
        (prefetch) => withQueue(`tune.nestRmq.p${prefetch}`, () => drainThroughput(redis, `tune.nestRmq.p${prefetch}`, tuneN, worker(`tune.nestRmq.p${prefetch}`, prefetch))),
        (prefetch) => `prefetchCount ${prefetch}`,
        log,
      );
      Object.assign(tuned, { prefetch: best, rates });
    },
    figures: [
      { id: 'drain.nestRmq', anchor: 'nestRmq', section: 'drain', unit: 'msg/s', aof: false,
        label: () => `NestJS \`Transport.RMQ\` worker, ${tuned.broker}: durable queue, persistent messages, manual ack, prefetch ${tuned.prefetch} (best of ${settings.prefetchCandidates.join('/')})`,
        measure: (redis, id) => withQueue(id, () => drainThroughput(redis, id, settings.n, worker(id, tuned.prefetch))) },
      { id: 'live.nestRmq', anchor: 'nestRmq', section: 'live', unit: 'msg/s', aof: false,
        label: () => `NestJS \`Transport.RMQ\` worker (prefetch ${tuned.prefetch}) + \`ClientRMQ.emit\` bursts (persistent, confirmed)`,
        measure: (redis, id) =>
          withQueue(id, async () => (await liveThroughput(redis, id, settings.n, worker(id, tuned.prefetch), { role: anchorRole('publisher-rmq'), mode: 'nest-rmq-burst' })).rate) },
    ],
  };
}
