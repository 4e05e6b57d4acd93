/**
 * Redis Cluster primary failover during consumption: the replica of the primary that owns
 * the stream is promoted (CLUSTER FAILOVER) while a producer publishes and a consumer
 * drains. Consumption resumes by itself on the new primary and no publish that was
 * acknowledged is lost: every one is handled, and nothing stays pending.
 */
import { RedisConnection, StreamConsumer, StreamProducer } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { waitFor } from '../support/wait-for.js';

describe('Redis Cluster primary failover', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start(3, { replicas: 1 });
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a promoted replica takes over: consumption resumes by itself, no acknowledged publish lost', async () => {
    const stream = 'failover.orders';
    const primary = await cluster.nodeOf(RedisConnection.slotOf(`rs:{${stream}}`));
    const replica = await cluster.replicaOf(primary);

    const handled = new Set<number>();
    const consumer = new StreamConsumer({ cluster: cluster.options, group: 'g', blockMs: 500, logger: collectingLogger() }).subscribe(stream, (message) => {
      handled.add((message.data as { n: number }).n);
    });
    await consumer.start();
    const producer = await StreamProducer.connect({ cluster: cluster.options, logger: collectingLogger(), tracing: false });
    const acknowledged = new Set<number>();
    let publishing = true;
    let next = 0;
    const publisher = (async () => {
      while (publishing) {
        const batch = Array.from({ length: 50 }, () => next++);
        const results = await Promise.allSettled(batch.map((n) => producer.publish(stream, { n })));
        results.forEach((result, i) => result.status === 'fulfilled' && acknowledged.add(batch[i]));
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await waitFor(() => handled.size >= 1_000, { timeoutMs: 20_000, what: '1,000 messages handled before the failover' });
      const admin = await replica.client();
      try {
        await admin.sendCommand(['CLUSTER', 'FAILOVER']);
        await waitFor(async () => String(await admin.sendCommand(['INFO', 'replication'])).includes('role:master'), {
          timeoutMs: 20_000,
          what: 'the replica promoted',
        });
      } finally {
        await admin.quit();
      }
      const atFailover = handled.size;
      await waitFor(() => handled.size >= atFailover + 1_000, { timeoutMs: 30_000, what: '1,000 more messages handled after the failover' });
      publishing = false;
      await publisher;

      await waitFor(async () => [...acknowledged].every((n) => handled.has(n)), {
        timeoutMs: 30_000,
        what: `every acknowledged publish handled (${acknowledged.size} acknowledged)`,
      });
      const newPrimary = await replica.client();
      try {
        await waitFor(async () => ((await newPrimary.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0] === 0, {
          timeoutMs: 30_000,
          what: 'nothing pending on the new primary',
        });
      } finally {
        await newPrimary.quit();
      }
      expect(consumer.status).toBe('connected');
    } finally {
      publishing = false;
      await publisher.catch(() => undefined);
      await producer.close();
      await consumer.stop();
    }
  });
});
