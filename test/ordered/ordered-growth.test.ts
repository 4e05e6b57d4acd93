/**
 * Growth of an ordered stream while a consumer runs: the new partitions are owned (leased)
 * and read too, and messages routed to them are handled in order per key.
 */
import { KeyBuilder, setPartitionCount, type ReceivedMessage } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('ordered consumption: growth', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('owns and reads the partitions a growth adds', async () => {
    const stream = 'ordered.grow';
    await setPartitionCount(fx.producer.connection, keys, stream, 2);
    const handled: { k: string; seq: number }[] = [];
    const consumer = await fx.consumer(stream, (m: ReceivedMessage) => void handled.push(m.data as { k: string; seq: number }), { claim: { minIdleMs: 1_000 } }, { ordered: true });
    await waitFor(() => consumer.ownedPartitions.length === 2, { what: 'both partitions owned' });

    await setPartitionCount(fx.producer.connection, keys, stream, 4);
    await waitFor(() => consumer.ownedPartitions.length === 4, { timeoutMs: 20_000, what: 'the new partitions owned' });
    const keyNames = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    for (let seq = 1; seq <= 5; seq += 1) await fx.producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
    await waitFor(() => handled.length === keyNames.length * 5, { timeoutMs: 20_000, what: 'all handled' });
    const lengths = await Promise.all([0, 1, 2, 3].map(async (i) => Number(await fx.client.sendCommand(['XLEN', keys.forPartition(stream, i).stream]))));
    expect(lengths.every((n) => n > 0)).toBe(true);
    for (const k of keyNames) expect(handled.filter((h) => h.k === k).map((h) => h.seq)).toEqual([1, 2, 3, 4, 5]);
    const owners = await Promise.all([0, 1, 2, 3].map((i) => fx.client.get(keys.forPartition(stream, i).owner('g'))));
    expect(owners.every((value) => value?.startsWith(`${consumer.consumerName} `))).toBe(true);
  });
});
