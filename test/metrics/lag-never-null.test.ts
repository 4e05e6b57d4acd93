/**
 * KEDA reads a NULL XINFO GROUPS `lag` as 0 — "nothing to do" — and may scale to zero with
 * entries undelivered. Retention and dead-lettering must never cause it: after both ran, with
 * a second group still behind, every group's lag is a number, and the exact one.
 */
import { KeyBuilder, replyToRecord, StreamConsumer, StreamProducer, UnrecoverableError, type RedisReply } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { usePrivateRedis, type RedisClient } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

describe('group lag stays a number', () => {
  const env = usePrivateRedis();
  const stopAfterEach = useCleanup();

  async function groupLags(client: RedisClient, key: string): Promise<Record<string, RedisReply>> {
    const groups = (await client.sendCommand(['XINFO', 'GROUPS', key])) as RedisReply[][];
    return Object.fromEntries(groups.map(replyToRecord).map((g) => [String(g.name), g.lag]));
  }

  it('after retention trimmed and failures were dead-lettered, with another group behind', async () => {
    const stream = 'lag.retention';
    const key = new KeyBuilder().stream(stream);
    const total = 400;
    const client = env.client;
    // A second group that has read (and acked) only part of the stream.
    await client.sendCommand(['XGROUP', 'CREATE', key, 'audit', '0', 'MKSTREAM']);
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());
    await producer.publishMany(stream, Array.from({ length: total }, (_, i) => ({ data: { i, poison: i % 10 === 0 } })));
    const auditRead = 250;
    const read = (await client.sendCommand(['XREADGROUP', 'GROUP', 'audit', 'a1', 'COUNT', String(auditRead), 'STREAMS', key, '>'])) as [
      string,
      [string, string[]][],
    ][];
    await client.sendCommand(['XACK', key, 'audit', ...read[0][1].map(([id]) => id)]);

    let trimmed = 0;
    const consumer = stopAfterEach(new StreamConsumer({ url: env.redis.url, group: 'billing', logger: quietLogger, retention: { intervalMs: 100 } })
      .subscribe(stream, (message) => {
        if ((message.data as { poison: boolean }).poison) throw new UnrecoverableError('poison');
      })
      .addObserver({ trimmed: (_stream, count) => (trimmed += count) }), (c) => c.stop());
    await consumer.start();

    const poison = total / 10;
    await waitFor(async () => (await client.sendCommand(['XLEN', `${key}:dlq`])) === poison, { what: 'dead letters', timeoutMs: 20_000 });
    await waitFor(() => trimmed > 0, { what: 'a retention trim', timeoutMs: 20_000 });
    await waitFor(async () => ((await client.sendCommand(['XPENDING', key, 'billing'])) as [number])[0] === 0, { what: 'billing done' });

    const length = (await client.sendCommand(['XLEN', key])) as number;
    expect(length).toBe(total - trimmed);
    // Retention never trimmed an entry the audit group had not read.
    expect(length).toBeGreaterThanOrEqual(total - auditRead);
    expect(await groupLags(client, key)).toEqual({ audit: total - auditRead, billing: 0 });

    await consumer.stop();
    await producer.close();
  });

  it('control: an XDEL past a group\'s position does make it NULL (what redstream never does)', async () => {
    const key = new KeyBuilder().stream('lag.control');
    const client = env.client;
    await client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM']);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await client.sendCommand(['XADD', key, '*', 'data', '1'])) as string);
    expect(await groupLags(client, key)).toEqual({ g: 3 });
    await client.sendCommand(['XDEL', key, ids[1]]);
    expect(await groupLags(client, key)).toEqual({ g: null });
  });
});
