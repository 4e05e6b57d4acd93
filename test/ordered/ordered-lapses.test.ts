/**
 * Ordered consumption through lease lapses: redis-server is stopped (SIGSTOP) for longer than
 * the lease TTL, twice, while an ordered consumer holds a backlog it has not started. Each
 * time its lease runs out, it lets the unstarted entries go, takes the lease again with a new
 * token once Redis answers, and claims them back. Two bugs this found: the lease taken again
 * was forgotten at once, so it was never renewed and consumption stopped for good (taken anew
 * every TTL, nothing claimed); and with `maxDeliveries: 2`, counting those claims as
 * deliveries dead-lettered (max-deliveries) entries that had never run.
 */
import { KeyBuilder, StreamConsumer, StreamProducer, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';
import { orderingProblems, type OrderedRecord } from './ordering-check.js';

describe('ordered consumption through lease lapses', () => {
  const servers = useRedisServers();
  const keys = new KeyBuilder();

  it('goes on after each lapse, claiming back entries it never started without counting a delivery', async () => {
    const redis = await servers.start();
    const stream = 'ordered.lapses';
    const keyNames = ['a', 'b', 'c', 'd'];
    const perKey = 120;
    const producer = await StreamProducer.connect({ url: redis.url, logger: collectingLogger() });
    const records: OrderedRecord[] = [];
    const consumer = new StreamConsumer({
      url: redis.url, group: 'g', consumer: 'w', logger: collectingLogger(), maxDeliveries: 2, blockMs: 200,
      claim: { minIdleMs: 600, intervalMs: 200, count: 100 },
    }).subscribe(
      stream,
      async (message: ReceivedMessage) => {
        await new Promise((resolve) => setTimeout(resolve, 15));
        const { k, seq } = message.data as { k: string; seq: number };
        records.push({ consumer: 'w', key: k, seq, entryId: message.entryId, deliveries: message.deliveryCount });
      },
      { ordered: true },
    );
    const stopRedisFor = async (ms: number) => {
      process.kill(redis.pid!, 'SIGSTOP');
      try {
        await new Promise((resolve) => setTimeout(resolve, ms));
      } finally {
        process.kill(redis.pid!, 'SIGCONT');
      }
    };
    try {
      await consumer.start();
      await waitFor(() => consumer.ownedPartitions.length === 1, { what: 'the stream owned' });
      for (let seq = 1; seq <= perKey; seq += 1) await producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq } })));
      for (const handledBefore of [40, 160]) {
        await waitFor(() => records.length >= handledBefore, { timeoutMs: 30_000, what: `${handledBefore} handled` });
        // Longer than the lease: it lapses locally, and in Redis too once Redis runs again.
        await stopRedisFor(1_500);
      }
      await waitFor(() => new Set(records.map((r) => `${r.key} ${r.seq}`)).size === keyNames.length * perKey, { timeoutMs: 60_000, intervalMs: 100, what: 'every message handled' });
      const client = await redis.client();
      try {
        expect(await client.sendCommand(['XLEN', keys.forStream(stream).deadLetter])).toBe(0);
        await waitFor(async () => ((await client.sendCommand(['XPENDING', keys.forStream(stream).stream, 'g'])) as [number])[0] === 0, { what: 'nothing pending' });
      } finally {
        await client.quit();
      }
      // Handled in order; a message runs again only when its ack was lost with the lapse, before any later one of its key.
      expect(orderingProblems(records, keyNames, perKey, new Set(['w']))).toEqual([]);
      // No message ever ran on a delivery count of 3 or more: claims of never-started entries did not count.
      expect(records.filter((r) => r.deliveries > 2)).toEqual([]);
      expect(consumer.ownedPartitions).toHaveLength(1);
    } finally {
      await consumer.stop();
      await producer.close();
    }
  }, 90_000);
});
