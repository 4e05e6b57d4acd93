import { StreamConsumer, StreamProducer, type ReceivedMessage } from '@redstream/core';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { quietLogger } from '../support/quiet-logger.js';

describe('core engine against a real redis-server', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('delivers published messages with their envelope and acks them', async () => {
    const producer = await StreamProducer.connect({ url: redis.url });
    const seen: ReceivedMessage[] = [];
    const consumer = new StreamConsumer({ url: redis.url, group: 'g1', logger: quietLogger }).subscribe('basic', (m) => {
      seen.push(m);
    });
    await consumer.start();
    const { entryId } = await producer.publish('basic', { n: 1 }, { headers: { tenant: 't1' } });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ stream: 'basic', entryId, data: { n: 1 }, deliveryCount: 1 });
    expect(seen[0].headers.tenant).toBe('t1');
    const client = await redis.client();
    await waitFor(async () => ((await client.sendCommand(['XPENDING', 'rs:{basic}', 'g1'])) as unknown[])[0] === 0, { what: 'ack' });
    await client.quit();
    await consumer.stop();
    await producer.close();
  });

  it('never runs more handlers at once than concurrency', async () => {
    const producer = await StreamProducer.connect({ url: redis.url });
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const consumer = new StreamConsumer({ url: redis.url, group: 'g1', concurrency: 7, logger: quietLogger }).subscribe('conc', async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      done += 1;
    });
    await consumer.start();
    await producer.publishMany('conc', Array.from({ length: 500 }, (_, i) => ({ data: i })));
    await waitFor(() => done === 500, { timeoutMs: 20_000 });
    expect(maxRunning).toBeLessThanOrEqual(7);
    expect(maxRunning).toBe(7);
    await consumer.stop();
    await producer.close();
  });
});
