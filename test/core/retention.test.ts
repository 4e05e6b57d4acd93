import { compareEntryIds, KeyBuilder, RedisConnection, RetentionTrimmer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';

describe('retention (acked strategy) against a real redis-server', () => {
  const env = usePrivateRedis();
  const connections: RedisConnection[] = [];
  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
  });

  it('trims everything every group has acked in one pass, even far more than 10,000 entries, and keeps the pending ones', async () => {
    const keys = new KeyBuilder('rs').forStream('retention.bulk');
    const client = env.client;
    const total = 25_000;
    const pendingFrom = 20_000;
    for (let from = 0; from < total; from += 1_000) {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) => client.sendCommand(['XADD', keys.stream, '*', 'data', String(from + i)])));
    }
    await client.sendCommand(['XGROUP', 'CREATE', keys.stream, 'g', '0']);
    const reply = (await client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', String(total), 'STREAMS', keys.stream, '>'])) as [string, [string, string[]][]][];
    const ids = reply[0][1].map(([id]) => id);
    for (let from = 0; from < pendingFrom; from += 1_000) {
      await client.sendCommand(['XACK', keys.stream, 'g', ...ids.slice(from, from + 1_000)]);
    }

    const connection = await RedisConnection.open({ url: env.redis.url }, 'retention-test');
    connections.push(connection);
    const trimmer = new RetentionTrimmer(connection, [keys], { strategy: 'acked', intervalMs: 10_000 }, 'test', {}, quietLogger);
    await trimmer.trim(keys);

    const left = Number(await client.sendCommand(['XLEN', keys.stream]));
    // Approximate trimming drops whole macro nodes (100 entries by default): what is left is
    // every pending entry plus at most one node's worth of acked ones.
    expect(left).toBeGreaterThanOrEqual(total - pendingFrom);
    expect(left).toBeLessThan(total - pendingFrom + 100);
    const [[oldest]] = (await client.sendCommand(['XRANGE', keys.stream, '-', '+', 'COUNT', '1'])) as [string, string[]][];
    expect(compareEntryIds(oldest, ids[pendingFrom])).toBeLessThanOrEqual(0);
  });
});

