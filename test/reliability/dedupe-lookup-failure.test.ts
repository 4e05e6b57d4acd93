/**
 * Consumer dedupe when its lookup fails: a keyed entry still runs (at-least-once stands, only
 * the skip of a repeat is lost) and the failure is reported, never silently (it was before).
 */
import { StreamConsumer, type ReceivedMessage } from '@redstream/core';
import { useCleanup } from '../support/cleanup.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('consumer dedupe lookup failing', () => {
  const fx = useRedis();
  const stopAfterEach = useCleanup();

  it('runs the keyed entry and reports that the completion-mark lookup failed, naming the refused command', async () => {
    await fx.client.sendCommand(['ACL', 'SETUSER', 'no-smismember', 'on', '>pw', '~*', '&*', '+@all', '-smismember']);
    const logger = collectingLogger();
    const handled: unknown[] = [];
    const consumer = stopAfterEach(
      new StreamConsumer({ url: fx.redis.url.replace('redis://', 'redis://no-smismember:pw@'), group: 'g', logger }).subscribe('dedupe.lookup', (message: ReceivedMessage) => {
        handled.push(message.data);
      }),
      (c) => c.stop(),
    );
    await consumer.start();
    await fx.producer.publish('dedupe.lookup', { n: 1 }, { idempotencyKey: 'order-1' });
    await waitFor(() => handled.length === 1, { what: 'the keyed entry handled' });
    await waitFor(() => logger.lines.some((line) => /completion-mark lookup failed.*NOPERM completed-keys-n\.lua: this user may not run SMISMEMBER on key rs:\{dedupe\.lookup\}:completed:g:\d+/.test(line)), { what: 'the failure reported' });
    await waitFor(async () => (await fx.pendingCount('dedupe.lookup')) === 0, { what: 'acked' });
  });
});
