/**
 * Failure paths of the consumer that must neither stall it nor hang it: a command that
 * fails while entries hold handler slots, and a shutdown while Redis is unreachable.
 */
import { StreamConsumer } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { useRedisServers } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

describe('consumer failure paths', () => {
  const fx = useRedis();
  const servers = useRedisServers();

  it('keeps its handler slots when re-reading its own pending entries fails at start, and consumes once Redis answers again', async () => {
    const stream = 'failure.reread';
    // XPENDING refused while the consumer starts: the re-read is skipped (an optional step), and
    // the slots it had reserved must come back.
    await fx.client.sendCommand(['ACL', 'SETUSER', 'default', '-xpending']);
    const handled: string[] = [];
    try {
      const worker = await fx.consumer(stream, (m) => void handled.push(m.entryId), { concurrency: 2, consumer: 'rereader', shutdownTimeoutMs: 1_000 });
      const lines = (worker.options.logger as ReturnType<typeof collectingLogger>).lines;
      await waitFor(() => lines.some((line) => line.includes('re-reading own pending entries (XPENDING, XCLAIM) skipped')), { what: 'the start-up re-read to fail' });
    } finally {
      await fx.client.sendCommand(['ACL', 'SETUSER', 'default', '+xpending']);
    }
    const { entryId } = await fx.producer.publish(stream, 'after the failures');
    await waitFor(() => handled.includes(entryId), { timeoutMs: 15_000, what: 'the entry published after the failures to be handled' });
  });

  it('stop() finishes while Redis is down instead of waiting for it to come back', async () => {
    const redis = await servers.start();
    const stream = 'failure.stop-while-down';
    const consumer = new StreamConsumer({
      url: redis.url, group: 'g', consumer: 'orphan', logger: collectingLogger(), shutdownTimeoutMs: 500, delayed: { intervalMs: 10 },
    }).subscribe(stream, () => undefined);
    const connectionErrors: string[] = [];
    consumer.on('consumer-error', (_error: Error, source: string) => connectionErrors.push(source));
    let stopped = false;
    try {
      await consumer.start();
      await redis.kill();
      // Several reconnect attempts: background jobs have meanwhile queued commands that wait for Redis.
      await waitFor(() => connectionErrors.filter((source) => source.startsWith('connection')).length >= 4, { what: 'reconnect attempts' });
      void consumer.stop().then(() => (stopped = true));
      await waitFor(() => stopped, { timeoutMs: 15_000, what: 'stop() to finish with Redis down' });
      expect(consumer.status).toBe('disconnected');
    } finally {
      await consumer.stop();
    }
  });

  it('a start() that fails after connecting (stream key of another type) closes its connections', async () => {
    const stream = 'failure.wrongtype';
    await fx.client.set(`rs:{${stream}}`, 'not a stream');
    const handled: unknown[] = [];
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', consumer: 'wrongtype', logger: collectingLogger() }).subscribe(stream, (m) => void handled.push(m.data));
    await expect(consumer.start()).rejects.toThrow(/WRONGTYPE/);
    const clients = async () => ((await fx.client.sendCommand(['CLIENT', 'LIST'])) as string).split('\n').filter((line) => line.includes(' name=redstream-g-wrongtype'));
    await waitFor(async () => (await clients()).length === 0, { what: 'the failed consumer to close its connections' });
    expect(consumer.status).toBe('disconnected');
    // Once the cause is fixed, start() can be called again and really starts.
    await fx.client.del(`rs:{${stream}}`);
    try {
      await consumer.start();
      await fx.producer.publish(stream, 'after the retry');
      await waitFor(() => handled.length === 1, { what: 'the restarted consumer to handle an entry' });
    } finally {
      await consumer.stop();
    }
  });
});
