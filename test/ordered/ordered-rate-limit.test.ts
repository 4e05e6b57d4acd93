/**
 * A rate limit holds for ordered subscriptions too: their partitions are read by fenced Lua
 * reads, not by the blocking readers, and those reads ask the group's token bucket the same way
 * (rate-limiter.ts, partition-fetcher.ts). Key order is kept while the limit paces the reads.
 */
import { KeyBuilder, setPartitionCount, type ReceivedMessage } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('ordered consumption under a rate limit', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('rateLimit { max: 50, perMs: 1000 } paces two ordered partitions to ~50/s, keys in order', async () => {
    const stream = 'ordered.rate';
    await setPartitionCount(fx.producer.connection, keys, stream, 2);
    const keyNames = Array.from({ length: 10 }, (_, i) => `key-${i}`);
    for (let seq = 1; seq <= 30; seq += 1) {
      await fx.producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
    }
    const starts: { k: string; seq: number; at: number }[] = [];
    await fx.consumer(stream, (message: ReceivedMessage) => {
      const { k, seq } = message.data as { k: string; seq: number };
      starts.push({ k, seq, at: Date.now() });
    }, { rateLimit: { max: 50, perMs: 1_000 } }, { ordered: true });
    // The bucket starts full (a burst of 50); the rate is measured over the next 100.
    await waitFor(() => starts.length >= 150, { timeoutMs: 10_000, what: '150 handled' });
    const perSecond = 100 / ((starts[149].at - starts[49].at) / 1_000);
    expect(perSecond).toBeGreaterThanOrEqual(35);
    expect(perSecond).toBeLessThanOrEqual(65);
    for (const k of keyNames) {
      const seqs = starts.filter((s) => s.k === k).map((s) => s.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    }
    const bucket = await fx.client.sendCommand(['EXISTS', keys.forStream(stream).rateLimit('g')]);
    expect(bucket).toBe(1);
  }, 20_000);
});
