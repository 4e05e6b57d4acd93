/**
 * Core consumption needs only what it needs: a worker whose user lacks a permission that
 * only an optional step uses still starts and consumes; the refused step is logged once,
 * naming the missing command, counted, and tried again later.
 */
import { StreamConsumer, StreamProducer } from '@redstream/core';
import { RedstreamMetrics } from '@redstream/core/metrics';
import { Registry } from 'prom-client';
import { ACL_ROLES } from '../support/acl-roles.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('a worker without the permissions of optional steps', () => {
  const env = usePrivateRedis();

  it.each([
    ['xautoclaim', /reclaiming entries of dead consumers skipped: NOPERM .*'xautoclaim'/, 'reclaiming entries of dead consumers'],
    ['xpending', /re-reading own pending entries \(XPENDING, XCLAIM\) skipped: NOPERM .*'xpending'/, 're-reading own pending entries (XPENDING, XCLAIM)'],
    ['client|id', /CLIENT ID refused \(NOPERM .*'client\|id'.*\): blocking reads cannot be interrupted/, undefined],
    ['sadd', /could not add .* to the stream registry rs:streams \(NOPERM .*'sadd'/, undefined],
    ['xgroup|create', undefined, undefined],
  ])('without %s it starts and consumes, and says what was refused', async (command, logged, step) => {
    const user = `w-${command.replace('|', '-')}`;
    await env.client.sendCommand(['ACL', 'SETUSER', user, 'reset', 'on', '>pw', ...ACL_ROLES.worker.split(' '), `-${command}`]);
    const stream = `optional.${user}`;
    // The group exists (an earlier deployment created it), as for a user without XGROUP CREATE.
    await env.client.sendCommand(['XGROUP', 'CREATE', `rs:{${stream}}`, 'g', '0', 'MKSTREAM']);
    const producer = await StreamProducer.connect({ url: env.redis.url, tracing: false, logger: collectingLogger() });
    await producer.publishMany(stream, Array.from({ length: 20 }, (_, n) => ({ data: { n } })));
    await producer.close();

    const logger = collectingLogger();
    let handled = 0;
    const consumer = new StreamConsumer({
      url: env.redis.url.replace('redis://', `redis://${user}:pw@`),
      group: 'g',
      logger,
      claim: { minIdleMs: 200, intervalMs: 100, count: 10 },
    }).subscribe(stream, () => void handled++);
    const registry = new Registry();
    new RedstreamMetrics({ registry }).observe(consumer);
    await consumer.start();
    try {
      await waitFor(() => handled === 20, { timeoutMs: 10_000, what: '20 messages handled' });
      // Counted each time; reclaim passes run every 100 ms, so that refusal is tried again (and logged once).
      if (step !== undefined) {
        const tries = command === 'xautoclaim' ? /permission_refused_total\{[^}]*\} ([3-9]|\d\d)/ : /permission_refused_total\{[^}]*\} [1-9]/;
        await waitFor(async () => tries.test(await registry.metrics()), { timeoutMs: 10_000, what: 'refusals counted' });
        expect(await registry.metrics()).toContain(`redstream_permission_refused_total{group="g",step="${step}"}`);
        expect(logger.lines.filter((line) => line.includes(`${step} skipped`))).toHaveLength(1);
      }
      if (logged !== undefined) expect(logger.lines.some((line) => logged.test(line))).toBe(true);
    } finally {
      await consumer.stop();
    }
  });
});
