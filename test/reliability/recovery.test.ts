/**
 * DESIGN.md delivery semantics 1 and 6: a running worker survives a Redis crash and
 * restart (AOF, appendfsync always), a CLIENT PAUSE longer than its read block time, a
 * killed connection and the deletion of its stream, without being restarted.
 */
import { compareEntryIds, StreamConsumer, StreamProducer, type ConnectionStatus } from '@redstream/core';
import type { RedisClientType } from 'redis';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { useRedisServers } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

/** A consumer that counts how often each entry was handled, and the errors it logged. */
function countingConsumer(url: string, stream: string, options: { blockMs?: number } = {}) {
  const logger = collectingLogger();
  const handled = new Map<string, number>();
  const statuses: ConnectionStatus[] = [];
  const errorEvents: string[] = [];
  const consumer = new StreamConsumer({ url, group: 'g', consumer: 'only', logger, claim: { minIdleMs: 2_000, intervalMs: 500 }, ...options })
    .subscribe(stream, async (message) => {
      await new Promise((resolve) => setImmediate(resolve));
      handled.set(message.entryId, (handled.get(message.entryId) ?? 0) + 1);
    });
  consumer.on('status', (status: ConnectionStatus) => statuses.push(status));
  consumer.on('consumer-error', (_error: Error, source: string) => errorEvents.push(source));
  const loggedErrors = () => logger.lines.filter((line) => line.startsWith('error'));
  return { consumer, handled, statuses, errorEvents, logger, loggedErrors };
}

async function publish(producer: StreamProducer, stream: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let sent = 0; sent < count; sent += 250) {
    const batch = await producer.publishMany(stream, Array.from({ length: Math.min(250, count - sent) }, (_, i) => ({ data: { n: sent + i } })));
    ids.push(...batch.map((r) => r.entryId));
  }
  return ids;
}

async function pendingCount(client: RedisClientType, stream: string): Promise<number> {
  return ((await client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0];
}

describe('recovery of a running worker', () => {
  const servers = useRedisServers();

  it('resumes by itself after redis-server is SIGKILLed and restarted; what was acked stays acked, nothing is lost', async () => {
    const redis = await servers.start({ aof: true });
    const stream = 'recovery.restart';
    const worker = countingConsumer(redis.url, stream);
    const producer = await StreamProducer.connect({ url: redis.url });
    try {
      await worker.consumer.start();
      const before = await publish(producer, stream, 3_000);
      await waitFor(() => worker.handled.size >= 1_000, { intervalMs: 1, what: '1,000 handled' });

      // What Redis has durably recorded as acknowledged just before the crash.
      let client = (await redis.client()) as RedisClientType;
      const [pel, groups] = (await client.multi()
        .addCommand(['XPENDING', `rs:{${stream}}`, 'g', '-', '+', '100000'])
        .addCommand(['XINFO', 'GROUPS', `rs:{${stream}}`])
        .exec()) as unknown as [[string][], string[][]];
      await client.disconnect();
      await redis.kill();
      const lastDelivered = groups[0][groups[0].indexOf('last-delivered-id') + 1];
      const pendingAtKill = new Set(pel.map(([id]) => id));
      const ackedAtKill = before.filter((id) => compareEntryIds(id, lastDelivered) <= 0 && !pendingAtKill.has(id));
      expect(ackedAtKill.length).toBeGreaterThan(0);

      await waitFor(() => worker.consumer.status !== 'connected', { what: 'the worker to notice the crash' });
      await redis.launch();
      const after = await publish(producer, stream, 2_000);
      await waitFor(() => [...before, ...after].every((id) => worker.handled.has(id)), { timeoutMs: 30_000, what: 'every entry handled' });
      client = (await redis.client()) as RedisClientType;
      await waitFor(async () => (await pendingCount(client, stream)) === 0, { timeoutMs: 10_000, what: 'nothing pending' });
      await client.quit();

      const handledTwice = ackedAtKill.filter((id) => worker.handled.get(id) !== 1);
      const duplicates = [...worker.handled.values()].filter((times) => times > 1).length;
      console.info(
        `redis SIGKILL: ${ackedAtKill.length} acked before the kill (all handled exactly once), ${pendingAtKill.size} pending at the kill, ` +
          `${duplicates} handled twice, ${worker.loggedErrors().length} errors logged`,
      );
      expect(handledTwice).toEqual([]);
      expect(duplicates).toBeLessThanOrEqual(pendingAtKill.size);
      expect(worker.statuses).toEqual(expect.arrayContaining(['reconnecting', 'connected']));
      expect(worker.consumer.status).toBe('connected');
    } finally {
      await worker.consumer.stop();
      await producer.close();
    }
  });

  describe('on one redis-server', () => {
    const fx = useRedis();

    it('recovers from a CLIENT PAUSE longer than blockMs without an error storm', async () => {
      const stream = 'recovery.pause';
      const worker = countingConsumer(fx.redis.url, stream, { blockMs: 500 });
      await worker.consumer.start();
      try {
        await publish(fx.producer, stream, 200);
        await waitFor(() => worker.handled.size === 200, { what: '200 handled' });
        await fx.client.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL']);
        const pausedAt = Date.now();
        const during = publish(fx.producer, stream, 200);
        await waitFor(() => worker.handled.size === 400, { timeoutMs: 15_000, what: '400 handled after the pause' });
        await during;
        const recoveredMs = Date.now() - pausedAt;
        await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'nothing pending' });
        console.info(`CLIENT PAUSE 3000 ms (blockMs 500): all handled ${recoveredMs} ms after the pause began, ${worker.errorEvents.length} errors`);
        expect(worker.errorEvents).toEqual([]);
        expect(worker.loggedErrors()).toEqual([]);
      } finally {
        await worker.consumer.stop();
      }
    });

    it('reconnects when its connections are killed and keeps consuming', async () => {
      const stream = 'recovery.connection';
      const worker = countingConsumer(fx.redis.url, stream);
      await worker.consumer.start();
      try {
        await publish(fx.producer, stream, 100);
        await waitFor(() => worker.handled.size === 100, { what: '100 handled' });
        const connections = ((await fx.client.sendCommand(['CLIENT', 'LIST'])) as string)
          .split('\n')
          .filter((line) => / name=redstream-g-only/.test(line))
          .map((line) => /^id=(\d+)/.exec(line)![1]);
        // The command connection, the blocking reader and the pause subscriber.
        expect(connections).toHaveLength(3);
        for (const id of connections) await fx.client.sendCommand(['CLIENT', 'KILL', 'ID', id]);
        await publish(fx.producer, stream, 100);
        await waitFor(() => worker.handled.size === 200, { timeoutMs: 15_000, what: '200 handled after the connections were killed' });
        await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'nothing pending' });
        // One more than before the pause subscriber: its connection reports being killed too.
        expect(worker.loggedErrors().length).toBeLessThanOrEqual(4);
      } finally {
        await worker.consumer.stop();
      }
    });

    it('re-creates its group when the stream is deleted under it and goes on consuming', async () => {
      const stream = 'recovery.deleted';
      const worker = countingConsumer(fx.redis.url, stream);
      await worker.consumer.start();
      try {
        await publish(fx.producer, stream, 100);
        await waitFor(() => worker.handled.size === 100, { what: '100 handled' });
        await fx.client.del(`rs:{${stream}}`);
        const later = await publish(fx.producer, stream, 100);
        await waitFor(() => later.every((id) => worker.handled.has(id)), { timeoutMs: 15_000, what: 'entries published after the DEL' });
        const groups = (await fx.client.sendCommand(['XINFO', 'GROUPS', `rs:{${stream}}`])) as string[][];
        expect(groups.map((g) => g[1])).toEqual(['g']);
        expect(worker.logger.lines.some((line) => line.includes('was missing') && line.includes('re-created'))).toBe(true);
        await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'nothing pending' });
      } finally {
        await worker.consumer.stop();
      }
    });
  });
});

