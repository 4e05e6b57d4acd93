/**
 * At maxmemory with `noeviction`, Redis refuses XGROUP CREATE (even for an existing group)
 * and SADD with OOM, but XREADGROUP, XACK, XAUTOCLAIM and XTRIM work. A worker restarted
 * then must start and drain the backlog, which is what frees the memory: it checks that
 * its group exists before creating it, and the registry write is best-effort.
 */
import { StreamConsumer } from '@redstream/core';
import { completedKeys } from '../support/completion-marks.js';
import { useRedis } from '../support/redis-fixture.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('a worker restarted while Redis is full (maxmemory, noeviction)', () => {
  const fx = useRedis({ extraArgs: ['--maxmemory-policy', 'noeviction'] });

  it('starts and drains every entry, plain and keyed', async () => {
    const stream = 'full.drain';
    // The group exists from an earlier worker, as in a crash-looping deployment.
    const first = await fx.consumer(stream, () => undefined, { consumer: 'w1' });
    await first.stop();
    await fx.producer.publishMany(stream, Array.from({ length: 1_000 }, (_, n) => ({ data: { n } })));
    await fx.producer.publishMany(stream, Array.from({ length: 100 }, (_, n) => ({ data: { keyed: n }, options: { idempotencyKey: `key-${n}` } })));

    // Full: maxmemory 4 MB below what is used, more than the whole backlog frees when drained.
    const filler = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 40; i++) await fx.client.sendCommand(['SET', `filler:${i}`, filler]);
    const used = Number(/used_memory:(\d+)/.exec(String(await fx.client.sendCommand(['INFO', 'memory'])))![1]);
    await fx.client.sendCommand(['CONFIG', 'SET', 'maxmemory', String(used - 4 * 1024 * 1024)]);
    await expect(fx.client.sendCommand(['SET', 'one-more', 'x'])).rejects.toThrow(/^OOM/);
    await expect(fx.client.sendCommand(['XGROUP', 'CREATE', `rs:{${stream}}`, 'g', '0'])).rejects.toThrow(/^OOM/);

    const logger = collectingLogger();
    const handled = new Set<string>();
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', consumer: 'w2', logger }).subscribe(stream, (message) => {
      handled.add(message.entryId);
    });
    await consumer.start();
    try {
      await waitFor(async () => handled.size === 1_100 && (await fx.pendingCount(stream)) === 0, {
        timeoutMs: 20_000,
        what: 'the backlog drained at OOM',
      });
      expect(logger.lines.some((line) => /could not add full\.drain to the stream registry rs:streams \(OOM/.test(line))).toBe(true);
      // Keyed entries were acked with their completion marks (XACK first lets the marks through at OOM).
      const completed = await completedKeys(fx.client, stream);
      expect([completed.has('key-0'), completed.has('key-99')]).toEqual([true, true]);
    } finally {
      await consumer.stop();
    }
  });
});
