/**
 * A persistent ack error (NOPERM here; OOM for keyed acks behaves the same) must not turn
 * the shutdown drain into a busy loop: the failed flush is retried with the same growing
 * backoff as while running (it used to be re-sent at once, thousands of times a second,
 * for the whole shutdownTimeoutMs).
 */
import { StreamConsumer, StreamProducer } from '@redstream/core';
import { commandStats } from '../support/command-stats.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('acks refused until shutdown', () => {
  const env = usePrivateRedis();
  const rejectedAcks = async () => (await commandStats(env.client)).rejected('xack');

  it('the drain backs off instead of re-sending the failing XACK in a loop', async () => {
    const stream = 'ack.refused';
    await env.client.sendCommand(['ACL', 'SETUSER', 'noack', 'on', '>pw', '~*', '&*', '+@all', '-xack']);
    const producer = await StreamProducer.connect({ url: env.redis.url, tracing: false, logger: collectingLogger() });
    await producer.publishMany(stream, Array.from({ length: 10 }, (_, n) => ({ data: { n } })));
    await producer.close();

    let handled = 0;
    const consumer = new StreamConsumer({
      url: env.redis.url.replace('redis://', 'redis://noack:pw@'),
      group: 'g',
      shutdownTimeoutMs: 2_000,
      logger: collectingLogger(),
    }).subscribe(stream, () => void handled++);
    await consumer.start();
    await waitFor(async () => handled === 10 && (await rejectedAcks()) >= 1, { timeoutMs: 10_000, what: 'handled, ack refused' });

    await env.client.sendCommand(['CONFIG', 'RESETSTAT']);
    const started = Date.now();
    await consumer.stop();
    const stoppedAfterMs = Date.now() - started;
    const retries = await rejectedAcks();
    // 200, 400, 800 ms... within the 2 s of the drain (and its at least 2 s wait): a handful.
    expect(retries).toBeLessThanOrEqual(10);
    expect(stoppedAfterMs).toBeLessThan(10_000);
    // The entries stay pending for another consumer (or this one, once XACK is granted).
    expect(((await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0]).toBe(10);
  });
});
