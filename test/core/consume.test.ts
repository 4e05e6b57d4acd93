import { compareEntryIds, KeyBuilder, type ReceivedMessage } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('core engine against a real redis-server', () => {
  // Its own redis-server, a producer, and consumers stopped after each test even when an assertion failed.
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('delivers published messages with their envelope and acks them', async () => {
    const seen: ReceivedMessage[] = [];
    await fx.consumer('basic', (m) => void seen.push(m), { group: 'g1', logger: quietLogger });
    const { entryId } = await fx.producer.publish('basic', { n: 1 }, { headers: { tenant: 't1' } });
    await waitFor(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ stream: 'basic', entryId, data: { n: 1 }, deliveryCount: 1 });
    expect(seen[0].headers.tenant).toBe('t1');
    await waitFor(async () => (await fx.pendingCount('basic', 'g1')) === 0, { what: 'ack' });
  });

  it('never runs more handlers at once than concurrency', async () => {
    let running = 0;
    let maxRunning = 0;
    let done = 0;
    const handler = async () => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
      done += 1;
    };
    await fx.consumer('conc', handler, { group: 'g1', concurrency: 7, logger: quietLogger });
    await fx.producer.publishMany('conc', Array.from({ length: 500 }, (_, i) => ({ data: i })));
    await waitFor(() => done === 500, { timeoutMs: 20_000 });
    expect(maxRunning).toBeLessThanOrEqual(7);
    expect(maxRunning).toBe(7);
  });

  // Concurrency above readCount lets the consumer hand one read's entries over while the
  // next read is on its way (read-ahead): order, exactly-once handling and stop must hold.
  it('with room for several reads in flight, handles every entry once and in stream order', async () => {
    const seen: string[] = [];
    // Published first, so every read is full and the consumer reads ahead.
    const published = (await fx.producer.publishMany('ahead', Array.from({ length: 1_000 }, (_, i) => ({ data: i })))).map((r) => r.entryId);
    await fx.consumer('ahead', (m) => void seen.push(m.entryId), { group: 'g1', concurrency: 100, readCount: 10, logger: quietLogger });
    await waitFor(() => seen.length >= 1_000, { timeoutMs: 20_000, what: '1000 handled' });
    expect(seen).toEqual(published);
    await waitFor(async () => (await fx.pendingCount('ahead', 'g1')) === 0, { what: 'all acked' });
  });

  it('stopped while reading ahead, leaves every entry it did not finish pending or unread', async () => {
    const finished = new Set<string>();
    const handler = async (m: ReceivedMessage) => {
      await new Promise((resolve) => setImmediate(resolve));
      finished.add(m.entryId);
    };
    const published = (await fx.producer.publishMany('ahead.stop', Array.from({ length: 5_000 }, (_, i) => ({ data: i })))).map((r) => r.entryId);
    const consumer = await fx.consumer('ahead.stop', handler, { group: 'g1', concurrency: 40, readCount: 10, logger: quietLogger });
    await waitFor(() => finished.size >= 500, { what: '500 handled' });
    await consumer.stop();
    const client = fx.client;
    const key = keys.stream('ahead.stop');
    const pending = (await client.sendCommand(['XPENDING', key, 'g1', '-', '+', '10000'])) as [string][];
    const groups = (await client.sendCommand(['XINFO', 'GROUPS', key])) as unknown[][];
    const lastDelivered = String(groups[0][groups[0].indexOf('last-delivered-id') + 1]);
    const unread = published.filter((id) => compareEntryIds(id, lastDelivered) > 0);
    const accounted = new Set([...finished, ...pending.map((row) => row[0]), ...unread]);
    expect(published.filter((id) => !accounted.has(id))).toEqual([]);
    // Finished entries were acked, not left pending.
    expect(pending.filter((row) => finished.has(row[0]))).toEqual([]);
  });
});

