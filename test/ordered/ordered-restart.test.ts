/**
 * Ordered consumption through a Redis crash: redis-server (AOF, appendfsync always) is
 * SIGKILLed while two in-process consumers with `ordered: true` own its four partitions, and
 * started again on the same port. The consumers are not restarted: they reconnect, their
 * leases (persisted with their expiry) are renewed or taken again, and every key's messages
 * are handled in publish order (ordering-check.ts; a message may run again only before any
 * later message of its key), nothing lost, nothing left pending.
 */
import { KeyBuilder, setPartitionCount, StreamConsumer, StreamProducer, type ConnectionStatus, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import { simulatedWork } from '../support/simulated-work.js';
import { waitFor } from '../support/wait-for.js';
import { orderingProblems, type OrderedRecord } from './ordering-check.js';

describe('ordered consumption through a Redis restart', () => {
  const servers = useRedisServers();
  const keys = new KeyBuilder();

  it('keeps every key in publish order when redis-server is SIGKILLed and restarted under two ordered consumers', async () => {
    const redis = await servers.start({ aof: true });
    const stream = 'ordered.restart';
    const keyNames = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    const producer = await StreamProducer.connect({ url: redis.url, logger: collectingLogger() });
    const records: OrderedRecord[] = [];
    const consumers = ['a', 'b'].map((name) =>
      new StreamConsumer({ url: redis.url, group: 'g', consumer: name, logger: collectingLogger(), claim: { minIdleMs: 2_000, intervalMs: 500, count: 100 }, blockMs: 500 }).subscribe(
        stream,
        async (message: ReceivedMessage) => {
          await simulatedWork(5);
          const { k, seq } = message.data as { k: string; seq: number };
          records.push({ consumer: name, key: k, seq, entryId: message.entryId, deliveries: message.deliveryCount });
        },
        { ordered: true },
      ),
    );
    const statuses: ConnectionStatus[][] = consumers.map((consumer) => {
      const seen: ConnectionStatus[] = [];
      consumer.on('status', (status: ConnectionStatus) => seen.push(status));
      return seen;
    });
    let nextSeq = 1;
    const publishRounds = async (rounds: number) => {
      for (let round = 0; round < rounds; round += 1, nextSeq += 1) {
        const seq = nextSeq;
        await producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
      }
    };
    try {
      await setPartitionCount(producer.connection, keys, stream, 4);
      await Promise.all(consumers.map((consumer) => consumer.start()));
      await waitFor(() => consumers.every((c) => c.ownedPartitions.length > 0) && consumers.reduce((n, c) => n + c.ownedPartitions.length, 0) === 4, { timeoutMs: 20_000, what: 'the partitions shared' });
      await publishRounds(60);
      const client = await redis.client();
      const pending = async () =>
        (await Promise.all([0, 1, 2, 3].map(async (i) => ((await client.sendCommand(['XPENDING', keys.forPartition(stream, i).stream, 'g'])) as [number])[0]))).reduce((a, b) => a + b, 0);
      // Killed with the first 1,200 handled and acked (a kill mid-batch: see the note in README "Ordered consumption").
      await waitFor(async () => records.length === 60 * keyNames.length && (await pending()) === 0, { timeoutMs: 30_000, what: 'the first 1,200 handled and acked' });
      await client.quit();
      await redis.kill();
      await waitFor(() => consumers.every((c) => c.status !== 'connected'), { what: 'both consumers to notice the crash' });
      await redis.launch();
      await publishRounds(30);
      const perKey = nextSeq - 1;
      await waitFor(() => new Set(records.map((r) => `${r.key} ${r.seq}`)).size === keyNames.length * perKey, { timeoutMs: 60_000, intervalMs: 100, what: 'every message handled' });
      // Nothing was in flight at the kill: every message exactly once, in publish order.
      expect(orderingProblems(records, keyNames, perKey, new Set<string>())).toEqual([]);
      expect(records).toHaveLength(keyNames.length * perKey);
      const after = await redis.client();
      try {
        const pendingAfter = async () =>
          (await Promise.all([0, 1, 2, 3].map(async (i) => ((await after.sendCommand(['XPENDING', keys.forPartition(stream, i).stream, 'g'])) as [number])[0]))).reduce((a, b) => a + b, 0);
        await waitFor(async () => (await pendingAfter()) === 0, { timeoutMs: 10_000, what: 'nothing pending' });
        await waitFor(() => consumers.reduce((owned, c) => owned + c.ownedPartitions.length, 0) === 4, { timeoutMs: 10_000, what: 'all four partitions owned' });
        expect(new Set(consumers.flatMap((c) => c.ownedPartitions)).size).toBe(4);
      } finally {
        await after.quit();
      }
      console.info(`ordered restart: ${records.length} records for ${keyNames.length * perKey} messages (${records.length - keyNames.length * perKey} handled again)`);
      for (const seen of statuses) expect(seen).toEqual(expect.arrayContaining(['reconnecting', 'connected']));
    } finally {
      await Promise.all(consumers.map((consumer) => consumer.stop()));
      await producer.close();
    }
  }, 120_000);
});
