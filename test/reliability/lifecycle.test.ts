/**
 * Delayed messages (many promoters at once), graceful shutdown (DESIGN.md delivery
 * semantics 7) and the removal of idle consumers.
 */
import { StreamConsumer, StreamProducer, type ConsumerOptions, type ReceivedMessage } from '@redstream/core';
import type { RedisClientType } from 'redis';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

describe('delayed messages, shutdown and idle consumers', () => {
  let redis: RedisServer;
  let client: RedisClientType;
  let producer: StreamProducer;
  const consumers: StreamConsumer[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    client = (await redis.client()) as RedisClientType;
    producer = await StreamProducer.connect({ url: redis.url });
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });
  afterAll(async () => {
    await producer.close();
    await client.quit();
    await redis.stop();
  });

  function consumer(stream: string, handler: (m: ReceivedMessage) => unknown, options: Partial<ConsumerOptions> = {}): StreamConsumer {
    const created = new StreamConsumer({ url: redis.url, group: 'g', logger: collectingLogger(), ...options }).subscribe(stream, handler);
    consumers.push(created);
    return created;
  }
  const consumerNames = async (stream: string) =>
    ((await client.sendCommand(['XINFO', 'CONSUMERS', `rs:{${stream}}`, 'g'])) as string[][]).map((row) => row[1]);
  const pendingCount = async (stream: string) => ((await client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0];

  it('promotes each delayed message exactly once, not before it is due, with three promoters running', async () => {
    const stream = 'lifecycle.delayed';
    const received: { data: number; at: number }[] = [];
    for (let i = 0; i < 3; i += 1) {
      await consumer(stream, (m) => void received.push({ data: m.data as number, at: Date.now() }), { delayed: { intervalMs: 10, batchSize: 7 } }).start();
    }
    const sentAt = Date.now();
    const results = await producer.publishMany(stream, Array.from({ length: 200 }, (_, n) => ({ data: n, options: { delayMs: 300 } })));
    expect(results.every((r) => r.added && r.entryId.startsWith('delayed:'))).toBe(true);
    expect(await client.xLen(`rs:{${stream}}`)).toBe(0);
    await waitFor(() => received.length === 200, { what: '200 delayed messages' });
    expect(new Set(received.map((r) => r.data)).size).toBe(200);
    expect(Math.min(...received.map((r) => r.at)) - sentAt).toBeGreaterThanOrEqual(300);
    expect(await client.xLen(`rs:{${stream}}`)).toBe(200);
    expect(await client.zCard(`rs:{${stream}}:delayed`)).toBe(0);
    expect(await client.hLen(`rs:{${stream}}:delayed:payloads`)).toBe(0);
  });

  it('on stop waits for running handlers, acks them, and leaves the group', async () => {
    const stream = 'lifecycle.stop';
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    let finished = 0;
    const worker = consumer(stream, async () => {
      started += 1;
      await released;
      finished += 1;
    }, { consumer: 'leaving' });
    await worker.start();
    await producer.publishMany(stream, [1, 2, 3].map((data) => ({ data })));
    await waitFor(() => started === 3, { what: 'three handlers running' });
    const stopping = worker.stop();
    expect(finished).toBe(0);
    release();
    await stopping;
    expect(finished).toBe(3);
    expect(await pendingCount(stream)).toBe(0);
    expect(await consumerNames(stream)).toEqual([]);
    expect(worker.status).toBe('disconnected');
  });

  it('on a shutdown timeout leaves unfinished entries pending for another consumer, which reclaims them', async () => {
    const stream = 'lifecycle.timeout';
    const stuck = consumer(stream, () => new Promise(() => undefined), { consumer: 'stuck', shutdownTimeoutMs: 100 });
    await stuck.start();
    const { entryId } = await producer.publish(stream, 'never finishes here');
    await waitFor(() => stuck.inFlight === 1, { what: 'the stuck handler' });
    await stuck.stop();
    expect(await pendingCount(stream)).toBe(1);
    expect(await consumerNames(stream)).toEqual(['stuck']);
    const handled: string[] = [];
    await consumer(stream, (m) => void handled.push(m.entryId), { consumer: 'heir', claim: { minIdleMs: 200, intervalMs: 50 } }).start();
    await waitFor(() => handled.length === 1, { what: 'the heir to reclaim it' });
    expect(handled).toEqual([entryId]);
    await waitFor(async () => (await pendingCount(stream)) === 0, { what: 'acked by the heir' });
  });

  it('removes consumers idle longer than idleConsumers.removeAfterMs that own nothing, and keeps those that own entries', async () => {
    const stream = 'lifecycle.idle';
    const key = `rs:{${stream}}`;
    await client.sendCommand(['XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM']);
    await client.sendCommand(['XGROUP', 'CREATECONSUMER', key, 'g', 'gone-empty']);
    await client.sendCommand(['XADD', key, '*', 'data', '1', 'id', 'x', 'ts', '1']);
    await client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'gone-holding', 'STREAMS', key, '>']);
    await consumer(stream, () => undefined, { consumer: 'alive', claim: false, idleConsumers: { removeAfterMs: 300, intervalMs: 50 } }).start();
    await waitFor(async () => !(await consumerNames(stream)).includes('gone-empty'), { what: 'gone-empty to be removed' });
    // (Redis 7.0 lists a consumer only once it has read something, so 'alive' may not show yet.)
    expect(await consumerNames(stream)).toContain('gone-holding');
    expect(await pendingCount(stream)).toBe(1);
  });
});
