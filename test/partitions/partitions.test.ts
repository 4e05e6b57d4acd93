import { KeyBuilder, PartitionCountError, StreamConsumer, StreamProducer, partitionFor, setPartitionCount, type ReceivedMessage } from '@redstream/core';
import { RedstreamMetrics } from '@redstream/core/metrics';
import { Registry } from 'prom-client';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('partitioned streams on one redis-server', () => {
  const closing: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((c) => c.close()));
  });
  const fx = useRedis();
  const keys = new KeyBuilder();
  const url = () => fx.redis.url;
  const producer = async (partitions?: Record<string, number>) => {
    const p = await StreamProducer.connect({ url: url(), logger: collectingLogger(), partitions });
    closing.push(p);
    return p;
  };
  const xlen = async (stream: string) => Number(await fx.client.sendCommand(['XLEN', keys.stream(stream)]));

  it('the option stores the count when none is stored; a different count is a clear error', async () => {
    await producer({ 'opt.stored': 4 });
    expect(await fx.client.sendCommand(['HGET', keys.forStream('opt.stored').meta, 'partitions'])).toBe('4');
    expect(await fx.client.sendCommand(['SISMEMBER', keys.registry, 'opt.stored'])).toBe(1);
    await producer({ 'opt.stored': 4 });
    const mismatch = StreamProducer.connect({ url: url(), logger: collectingLogger(), partitions: { 'opt.stored': 8 } });
    await expect(mismatch).rejects.toThrow(PartitionCountError);
    await expect(mismatch).rejects.toMatchObject({ code: 'ERR_PARTITIONS_MISMATCH', message: expect.stringContaining('Redis stores 4 partitions for "opt.stored"') });
    const consumer = new StreamConsumer({ url: url(), group: 'g', logger: collectingLogger(), partitions: { 'opt.stored': 2 } }).subscribe('opt.stored', () => undefined);
    await expect(consumer.start()).rejects.toMatchObject({ code: 'ERR_PARTITIONS_MISMATCH' });
    expect(consumer.status).toBe('disconnected');
  });

  it('refuses bad counts and shrinking; grows', async () => {
    expect(() => new StreamConsumer({ group: 'g', partitions: { 'bad.count': 0 } })).toThrow(/partitions\["bad.count"\].*between 1 and 1024/);
    expect(() => new StreamConsumer({ group: 'g', partitions: { 'bad#name': 2 } })).toThrow(/"#" is reserved/);
    const connection = fx.producer.connection;
    expect(await setPartitionCount(connection, keys, 'grow.me', 3)).toEqual({ before: 0, after: 3 });
    expect(await setPartitionCount(connection, keys, 'grow.me', 6)).toEqual({ before: 3, after: 6 });
    await expect(setPartitionCount(connection, keys, 'grow.me', 2)).rejects.toMatchObject({ code: 'ERR_PARTITIONS_SHRINK' });
    expect(await fx.client.sendCommand(['HGET', keys.forStream('grow.me').meta, 'partitions'])).toBe('6');
  });

  it('routes by partition key (field pkey), else by idempotency key, else round-robin', async () => {
    const p = await producer({ routed: 4 });
    const published = await p.publish('routed', { n: 1 }, { partitionKey: 'customer-2' });
    const partition = partitionFor('customer-2', 4);
    const rows = (await fx.client.sendCommand(['XRANGE', keys.stream(`routed#${partition}`), '-', '+'])) as [string, string[]][];
    expect(rows.map(([id]) => id)).toEqual([published.entryId]);
    expect(rows[0][1]).toEqual(expect.arrayContaining(['pkey', 'customer-2']));

    const first = await p.publish('routed', { n: 2 }, { idempotencyKey: 'order-9' });
    const again = await p.publish('routed', { n: 2 }, { idempotencyKey: 'order-9' });
    expect(again).toEqual({ entryId: first.entryId, added: false });
    expect(await xlen(`routed#${partitionFor('order-9', 4)}`)).toBeGreaterThanOrEqual(1);

    const before = await Promise.all([0, 1, 2, 3].map((i) => xlen(`routed#${i}`)));
    await p.publishMany('routed', Array.from({ length: 40 }, (_, i) => ({ data: i })));
    const after = await Promise.all([0, 1, 2, 3].map((i) => xlen(`routed#${i}`)));
    expect(after.map((n, i) => n - before[i])).toEqual([10, 10, 10, 10]);
    expect(await xlen('routed')).toBe(0);
    await expect(p.publish('routed', 1, { partitionKey: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });

  it('a producer without the option routes by the stored count', async () => {
    await setPartitionCount(fx.producer.connection, keys, 'stored.only', 3);
    const p = await producer();
    await p.publishMany('stored.only', Array.from({ length: 9 }, (_, i) => ({ data: i })));
    expect(await Promise.all([0, 1, 2].map((i) => xlen(`stored.only#${i}`)))).toEqual([3, 3, 3]);
  });

  it('unordered: every consumer of a group reads every partition; nothing lost, nothing handled twice', async () => {
    const stream = 'unordered';
    await setPartitionCount(fx.producer.connection, keys, stream, 4);
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    const byConsumer = new Map<string, Set<string>>();
    const handler = (name: string) => (m: ReceivedMessage) => {
      if (seen.has(m.messageId)) duplicates.push(m.messageId);
      seen.set(m.messageId, m.stream);
      const streams = byConsumer.get(name) ?? new Set<string>();
      byConsumer.set(name, streams.add(m.stream));
    };
    const a = await fx.consumer(stream, handler('a'), { consumer: 'a', concurrency: 8 });
    await fx.consumer(stream, handler('b'), { consumer: 'b', concurrency: 8 });
    expect(a.streams).toEqual([stream]);
    const p = await producer();
    const total = 2_000;
    for (let i = 0; i < total; i += 200) {
      await p.publishMany(stream, Array.from({ length: 200 }, (_, j) => ({ data: i + j, options: { partitionKey: `k${(i + j) % 50}` } })));
    }
    await waitFor(() => seen.size === total, { timeoutMs: 30_000, what: `${total} handled` });
    expect(duplicates).toEqual([]);
    expect(new Set(seen.values())).toEqual(new Set([0, 1, 2, 3].map((i) => `${stream}#${i}`)));
    for (let i = 0; i < 4; i++) {
      const key = keys.stream(`${stream}#${i}`);
      await waitFor(async () => ((await fx.client.sendCommand(['XPENDING', key, 'g'])) as [number])[0] === 0, { what: `partition ${i} acked` });
    }
    expect([...byConsumer.keys()].sort()).toEqual(['a', 'b']);
    expect(await fx.client.sendCommand(['EXISTS', keys.stream(stream)])).toBe(0);
    expect(await fx.client.sendCommand(['SMEMBERS', keys.registry])).not.toContain(`${stream}#0`);
  });

  it('retries and dead-letters per partition, into the partition’s own dead-letter stream', async () => {
    const stream = 'failing';
    const p = await producer({ [stream]: 3 });
    let attempts = 0;
    await fx.consumer(
      stream,
      () => {
        attempts += 1;
        throw new Error('always fails');
      },
      { maxDeliveries: 2, backoff: { delayMs: 10, jitter: false } },
    );
    await p.publish(stream, { poison: true }, { partitionKey: 'poison' });
    const partition = partitionFor('poison', 3);
    const dlq = keys.forPartition(stream, partition).deadLetter;
    await waitFor(async () => Number(await fx.client.sendCommand(['XLEN', dlq])) === 1, { what: 'dead letter in the partition' });
    expect(attempts).toBe(2);
    const [[, fields]] = (await fx.client.sendCommand(['XRANGE', dlq, '-', '+'])) as [string, string[]][];
    const record = Object.fromEntries(fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])));
    expect(record).toMatchObject({ pkey: 'poison', dlqReason: 'max-deliveries', dlqDeliveries: '2' });
  });

  it('delayed messages are promoted into their partition', async () => {
    const stream = 'delayed.parts';
    const p = await producer({ [stream]: 2 });
    const seen: ReceivedMessage[] = [];
    await fx.consumer(stream, (m) => void seen.push(m), { delayed: { intervalMs: 20 } });
    await p.publish(stream, { later: true }, { partitionKey: 'x', delayMs: 50 });
    await waitFor(() => seen.length === 1, { what: 'delayed message handled' });
    expect(seen[0].stream).toBe(`${stream}#${partitionFor('x', 2)}`);
  });

  it('grows under load: producers and a running worker pick up the new partitions without restart; nothing lost', async () => {
    const stream = 'growing';
    await setPartitionCount(fx.producer.connection, keys, stream, 3);
    const seen = new Set<number>();
    const streams = new Set<string>();
    await fx.consumer(stream, (m) => {
      seen.add(m.data as number);
      streams.add(m.stream);
    });
    const p = await producer();
    let published = 0;
    const publishSome = async (n: number) => {
      await p.publishMany(stream, Array.from({ length: n }, (_, j) => ({ data: published + j, options: { partitionKey: `k${(published + j) % 40}` } })));
      published += n;
    };
    await publishSome(300);
    await setPartitionCount(fx.producer.connection, keys, stream, 6);
    // The producer follows by broadcast: new partitions receive entries.
    await waitFor(async () => {
      await publishSome(50);
      return xlen(`${stream}#5`).then((n) => n > 0);
    }, { what: 'producer writes to a new partition' });
    await publishSome(300);
    await waitFor(() => seen.size === published, { timeoutMs: 30_000, what: 'every published message handled' });
    expect(new Set(streams)).toEqual(new Set([0, 1, 2, 3, 4, 5].map((i) => `${stream}#${i}`)));
  });

  it('a stream partitioned while a worker runs: the worker reads its old entries and the new partitions', async () => {
    const stream = 'late.partitioned';
    const seen = new Set<number>();
    await fx.consumer(stream, (m) => void seen.add(m.data as number));
    const p = await producer();
    await p.publishMany(stream, Array.from({ length: 100 }, (_, i) => ({ data: i })));
    await setPartitionCount(fx.producer.connection, keys, stream, 2);
    let late = 1_000;
    await waitFor(async () => {
      await p.publish(stream, late++);
      return (await xlen(`${stream}#1`)) > 0;
    }, { what: 'producer routes to partitions', timeoutMs: 15_000 });
    const total = 100 + (late - 1_000);
    await waitFor(() => seen.size === total, { timeoutMs: 15_000, what: `${total} handled` });
  });

  it('metrics carry a partition label on a partitioned stream, and none on a plain one', async () => {
    const p = await producer({ 'metrics.parts': 2 });
    let handled = 0;
    const consumer = await fx.consumer('metrics.parts', () => void (handled += 1));
    const plain = await fx.consumer('metrics.plain', () => void (handled += 1));
    const metrics = new RedstreamMetrics({ registry: new Registry() }).observe(consumer).observe(plain);
    await p.publishMany('metrics.parts', [{ data: 1, options: { partitionKey: 'customer-2' } }, { data: 2, options: { partitionKey: 'customer-1' } }]);
    await p.publish('metrics.plain', 3);
    await waitFor(() => handled === 3, { what: 'three handled' });
    const text = await metrics.registry.metrics();
    const [a, b] = [partitionFor('customer-2', 2), partitionFor('customer-1', 2)];
    expect(text).toContain(`redstream_messages_handled_total{stream="metrics.parts",partition="${a}",group="g",outcome="success"} 1`);
    expect(text).toContain(`redstream_messages_handled_total{stream="metrics.parts",partition="${b}",group="g",outcome="success"} 1`);
    expect(text).toContain('redstream_messages_handled_total{stream="metrics.plain",group="g",outcome="success"} 1');
    expect(text).toMatch(/redstream_stream_length\{stream="metrics\.parts",partition="0"\} 1/);
    expect(text).toMatch(/redstream_stream_length\{stream="metrics\.parts",partition="1"\} 1/);
    expect(text).toMatch(/redstream_stream_length\{stream="metrics\.plain"\} 1/);
    expect(text).toMatch(/redstream_group_pending\{stream="metrics\.parts",partition="1",group="g"\} 0/);
  });

  it('a worker started after its stream was partitioned still reads what was published before', async () => {
    const stream = 'partitioned.offline';
    const p = await producer();
    await p.publishMany(stream, Array.from({ length: 20 }, (_, i) => ({ data: i })));
    await setPartitionCount(fx.producer.connection, keys, stream, 2);
    await p.partitions.map.refresh();
    await p.publishMany(stream, Array.from({ length: 20 }, (_, i) => ({ data: 20 + i })));
    expect(await xlen(stream)).toBe(20);
    const seen = new Set<number>();
    await fx.consumer(stream, (m) => void seen.add(m.data as number));
    await waitFor(() => seen.size === 40, { what: 'old and new entries handled' });
  });
});
