/**
 * Reads after the prefetch filled up ask for what a burst of settled handlers freed, not for
 * the first slot of it: a drain whose handlers settle together (no-op handlers, a lookup's
 * answers) reads in full `readCount`s. Counted by the private server's INFO commandstats.
 */
import { StreamConsumer, StreamProducer } from '@redstream/core';
import { commandCalls } from '../support/command-stats.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('read sizes once the prefetch is full', () => {
  const env = usePrivateRedis();

  it.each([
    ['unkeyed entries', 'sizes.plain', false],
    ['keyed entries, whose completion marks are looked up first', 'sizes.keyed', true],
  ])('a drain of %s reads full readCounts', async (_, stream, keyed) => {
    const total = 20_480;
    const readCount = 256;
    const producer = await StreamProducer.connect({ url: env.redis.url, logger: quietLogger });
    try {
      for (let i = 0; i < total; i += 1_024) {
        await producer.publishMany(stream, Array.from({ length: 1_024 }, (_, j) => ({ data: i + j, options: keyed ? { idempotencyKey: `k-${i + j}` } : undefined })));
      }
    } finally {
      await producer.close();
    }
    await env.client.sendCommand(['CONFIG', 'RESETSTAT']);
    const seen = new Set<number>();
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', consumer: 'c', prefetch: 512, readCount, retention: false, logger: quietLogger });
    consumer.subscribe(stream, async (message) => void seen.add(message.data as number));
    await consumer.start();
    try {
      await waitFor(() => seen.size === total, { timeoutMs: 30_000, what: `${total} entries handled` });
    } finally {
      await consumer.stop();
    }
    const reads = await commandCalls(env.client, 'xreadgroup');
    // total / readCount full reads, one that finds the stream empty, a few around the start and stop.
    // Reads sent at the first freed slot took about 1.6 times as many (reads of 1 to 255 entries).
    expect(reads).toBeGreaterThanOrEqual(total / readCount);
    expect(reads).toBeLessThanOrEqual(total / readCount + 8);
  });
});
