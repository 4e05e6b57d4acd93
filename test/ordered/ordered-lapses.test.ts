/**
 * Ordered consumption through lease lapses: redis-server is stopped (SIGSTOP) for longer than
 * the lease's local deadline while ordered consumers hold a backlog they have not started.
 * Each time, they let the unstarted entries go, renew (or take again with a new token) once
 * Redis answers, and claim them back before reading anything new.
 *
 * Bugs these found: a lease taken again was forgotten at once, so it was never renewed and
 * consumption stopped for good (taken anew every TTL, nothing claimed); counting the claims
 * of never-started entries as deliveries dead-lettered them (`maxDeliveries: 2`); and a claim
 * whose entries were refused at their start (the lease lapsed while the claim was on its way)
 * moved the catch-up's cursor past them, so newer entries of their keys ran first.
 *
 * Three consumers: a pause moves partitions between them, and each new owner's catch-up counts a
 * delivery (it cannot know the last owner never started an entry), so that case runs with a
 * maxDeliveries above what four lapses can count.
 */
import { KeyBuilder, StreamConsumer, StreamProducer, setPartitionCount, type ReceivedMessage, type StreamKeys } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { faultLasting, simulatedWork } from '../support/simulated-work.js';
import { waitFor } from '../support/wait-for.js';
import { orderingProblems, type OrderedRecord } from './ordering-check.js';

describe('ordered consumption through lease lapses', () => {
  const servers = useRedisServers();
  const keys = new KeyBuilder();
  const LEASE_MS = 600;

  /** Ordered consumers recording each message as its handler starts (one process: one global order), `workMs` of work each. */
  function orderedConsumers(redis: RedisServer, stream: string, names: string[], workMs: number, records: OrderedRecord[], maxDeliveries?: number): StreamConsumer[] {
    return names.map((name) =>
      new StreamConsumer({
        url: redis.url, group: 'g', consumer: name, logger: collectingLogger(), blockMs: 200, ...(maxDeliveries === undefined ? {} : { maxDeliveries }),
        claim: { minIdleMs: LEASE_MS, intervalMs: 200, count: 100 },
      }).subscribe(
        stream,
        async (message: ReceivedMessage) => {
          const { k, seq } = message.data as { k: string; seq: number };
          records.push({ consumer: name, key: k, seq, entryId: message.entryId, deliveries: message.deliveryCount });
          // The handler's own work, so that entries are still held when Redis stops.
          await simulatedWork(workMs);
        },
        { ordered: true },
      ),
    );
  }

  /** Stops redis-server for `ms` once each count of handled messages is reached. */
  async function stopRedisAt(redis: RedisServer, records: readonly OrderedRecord[], handledCounts: number[], ms: number): Promise<void> {
    for (const handledBefore of handledCounts) {
      await waitFor(() => records.length >= handledBefore, { timeoutMs: 30_000, what: `${handledBefore} handled` });
      process.kill(redis.pid!, 'SIGSTOP');
      try {
        await faultLasting(ms);
      } finally {
        process.kill(redis.pid!, 'SIGCONT');
      }
    }
  }

  async function publishRounds(producer: StreamProducer, stream: string, keyNames: string[], rounds: number): Promise<void> {
    for (let seq = 1; seq <= rounds; seq += 1) await producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
  }

  /** Every message handled, none dead-lettered, nothing left pending (`sources`: the stream or its partitions). */
  async function expectDrained(redis: RedisServer, sources: StreamKeys[], records: readonly OrderedRecord[], total: number): Promise<void> {
    const client = await redis.client();
    try {
      const deadLetters = async () => (await Promise.all(sources.map((source) => client.sendCommand(['XLEN', source.deadLetter])))).map(Number);
      await waitFor(async () => new Set(records.map((r) => `${r.key} ${r.seq}`)).size === total || (await deadLetters()).some((n) => n > 0), {
        timeoutMs: 60_000, intervalMs: 100, what: 'every message handled',
      });
      expect(await deadLetters()).toEqual(sources.map(() => 0));
      for (const source of sources) {
        await waitFor(async () => ((await client.sendCommand(['XPENDING', source.stream, 'g'])) as [number])[0] === 0, { what: `nothing pending in ${source.stream}` });
      }
    } finally {
      await client.quit();
    }
  }

  it('goes on after each lapse, claiming back entries it never started without counting a delivery', async () => {
    const redis = await servers.start();
    const stream = 'ordered.lapses';
    const keyNames = ['a', 'b', 'c', 'd'];
    const perKey = 120;
    const producer = await StreamProducer.connect({ url: redis.url, logger: collectingLogger() });
    const records: OrderedRecord[] = [];
    const [consumer] = orderedConsumers(redis, stream, ['w'], 15, records, 2);
    try {
      await consumer.start();
      await waitFor(() => consumer.ownedPartitions.length === 1, { what: 'the stream owned' });
      await publishRounds(producer, stream, keyNames, perKey);
      // Longer than the lease: it lapses locally, and in Redis too once Redis runs again.
      await stopRedisAt(redis, records, [40, 160], 1_500);
      await expectDrained(redis, [keys.forStream(stream)], records, keyNames.length * perKey);
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

  it('keeps every key in order across three consumers and six partitions through four lapses', async () => {
    const redis = await servers.start();
    const stream = 'ordered.lapses.many';
    const keyNames = Array.from({ length: 60 }, (_, i) => `k${i}`);
    const perKey = 60;
    const producer = await StreamProducer.connect({ url: redis.url, logger: collectingLogger() });
    await setPartitionCount(producer.connection, keys, stream, 6);
    const records: OrderedRecord[] = [];
    // Each lapse can move a partition to another consumer, whose catch-up counts a delivery of every
    // entry it claims (it cannot know the last owner never started them): four lapses can take an
    // entry that never ran to 6 deliveries, so the default maxDeliveries (5) would dead-letter it.
    const consumers = orderedConsumers(redis, stream, ['w1', 'w2', 'w3'], 30, records, 12);
    try {
      await Promise.all(consumers.map((c) => c.start()));
      await publishRounds(producer, stream, keyNames, perKey);
      // A little longer than the lease's local deadline: claims and reads are on their way as it lapses.
      await stopRedisAt(redis, records, [300, 900, 1_500, 2_200], 700);
      const partitions = Array.from({ length: 6 }, (_, i) => keys.forPartition(stream, i));
      await expectDrained(redis, partitions, records, keyNames.length * perKey);
      // A message may run again (its ack was not yet written when another consumer claimed it),
      // but no key ever runs a message ahead of an earlier one that had not run yet.
      expect(orderingProblems(records, keyNames, perKey, new Set(['w1', 'w2', 'w3']))).toEqual([]);
      await waitFor(() => consumers.flatMap((c) => c.ownedPartitions).length === 6, { what: 'each partition owned once' });
      expect(new Set(consumers.flatMap((c) => c.ownedPartitions)).size).toBe(6);
    } finally {
      await Promise.all(consumers.map((c) => c.stop()));
      await producer.close();
    }
  }, 120_000);
});
