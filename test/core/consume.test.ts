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

  // Concurrency above readCount lets the consumer hand one read's entries over while the
  // next read is on its way (read-ahead): order, exactly-once handling and stop must hold.
  it('with room for several reads in flight, handles every entry once and in stream order', async () => {
    const producer = await StreamProducer.connect({ url: redis.url });
    const seen: string[] = [];
    const consumer = new StreamConsumer({ url: redis.url, group: 'g1', concurrency: 100, readCount: 10, logger: quietLogger }).subscribe(
      'ahead',
      (m) => void seen.push(m.entryId),
    );
    // Published first, so every read is full and the consumer reads ahead.
    const published = (await producer.publishMany('ahead', Array.from({ length: 1_000 }, (_, i) => ({ data: i })))).map((r) => r.entryId);
    await consumer.start();
    await waitFor(() => seen.length >= 1_000, { timeoutMs: 20_000, what: '1000 handled' });
    expect(seen).toEqual(published);
    const client = await redis.client();
    await waitFor(async () => ((await client.sendCommand(['XPENDING', 'rs:{ahead}', 'g1'])) as unknown[])[0] === 0, { what: 'all acked' });
    await client.quit();
    await consumer.stop();
    await producer.close();
  });

  it('stopped while reading ahead, leaves every entry it did not finish pending or unread', async () => {
    const producer = await StreamProducer.connect({ url: redis.url });
    const finished = new Set<string>();
    const consumer = new StreamConsumer({ url: redis.url, group: 'g1', concurrency: 40, readCount: 10, logger: quietLogger }).subscribe(
      'ahead.stop',
      async (m) => {
        await new Promise((resolve) => setImmediate(resolve));
        finished.add(m.entryId);
      },
    );
    const published = (await producer.publishMany('ahead.stop', Array.from({ length: 5_000 }, (_, i) => ({ data: i })))).map((r) => r.entryId);
    await consumer.start();
    await waitFor(() => finished.size >= 500, { what: '500 handled' });
    await consumer.stop();
    const client = await redis.client();
    const pending = (await client.sendCommand(['XPENDING', 'rs:{ahead.stop}', 'g1', '-', '+', '10000'])) as [string][];
    const groups = (await client.sendCommand(['XINFO', 'GROUPS', 'rs:{ahead.stop}'])) as unknown[][];
    const lastDelivered = String(groups[0][groups[0].indexOf('last-delivered-id') + 1]);
    const unread = published.filter((id) => compareIds(id, lastDelivered) > 0);
    const accounted = new Set([...finished, ...pending.map((row) => row[0]), ...unread]);
    expect(published.filter((id) => !accounted.has(id))).toEqual([]);
    // Finished entries were acked, not left pending.
    expect(pending.filter((row) => finished.has(row[0]))).toEqual([]);
    await client.quit();
    await producer.close();
  });
});

function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
