/**
 * A command refused inside a Lua step (NOPERM) must not leave the writes before it behind:
 * the caller retries the step, and each try would add another copy. Every multi-write
 * script checks its writes with redis.acl_check_cmd first and writes nothing when one is
 * refused, with an error that names the command.
 */
import { StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import { completionBuckets } from '../support/completion-marks.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('a refused command inside a Lua step', () => {
  const env = usePrivateRedis();
  const userUrl = (user: string) => env.redis.url.replace('redis://', `redis://${user}:pw@`);

  it('without +xack, poison entries are not dead-lettered again and again; once XACK is granted each is dead-lettered exactly once', async () => {
    const stream = 'refused.xack';
    await env.client.sendCommand(['ACL', 'SETUSER', 'noack', 'on', '>pw', '~*', '&*', '+@all', '-xack']);
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(stream, Array.from({ length: 5 }, (_, n) => ({ data: { n } })));
    await producer.close();

    const errors: string[] = [];
    const consumer = new StreamConsumer({
      url: userUrl('noack'),
      group: 'g',
      logger: collectingLogger(),
      claim: { minIdleMs: 200, intervalMs: 100, count: 100 },
    }).subscribe(stream, () => {
      throw new UnrecoverableError('poison');
    });
    consumer.on('consumer-error', (error: Error, source: string) => {
      if (source === 'dead-letter') errors.push(error.message);
    });
    await consumer.start();
    try {
      // Every entry is tried several times (reclaimed after 200 ms idle) while XACK is refused.
      await waitFor(() => errors.length >= 20, { timeoutMs: 20_000, what: '20 refused dead-letter steps' });
      expect(errors[0]).toMatch(/NOPERM dead-letter-2\.lua: this user may not run XACK on key rs:\{refused\.xack\}, so nothing was written/);
      expect(await env.client.sendCommand(['XLEN', `rs:{${stream}}:dlq`])).toBe(0);

      await env.client.sendCommand(['ACL', 'SETUSER', 'noack', '+xack']);
      await waitFor(async () => ((await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0] === 0, {
        timeoutMs: 20_000,
        what: 'nothing pending once XACK is granted',
      });
      const letters = (await env.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][];
      expect(letters).toHaveLength(5);
      const originals = letters.map(([, fields]) => fields[fields.indexOf('dlqOriginalId') + 1]);
      expect(new Set(originals).size).toBe(5);
    } finally {
      await consumer.stop();
    }
  });

  // Redis refuses EVAL itself when one of its KEYS lacks read or write permission, before the
  // script runs; the script's own check covers what EVAL's does not: the commands.
  it.each([
    ['the completion bucket is outside the user\'s write patterns', 'refused.mark', (base: string) => ['%R~*', '%W~rs:[!{]*', `%W~${base}`, `%W~${base}:[!c]*`],
      /NOPERM this user has no permissions to access one of the keys/],
    ['SADD is not granted', 'refused.nosadd', () => ['~*', '-sadd'], /NOPERM ack-completed-2\.lua: this user may not run SADD on key rs:\{refused\.nosadd\}:completed:g:\d+, so nothing was written/],
  ])('a keyed ack acks nothing and marks nothing when %s', async (_, stream, keyRules, refusal) => {
    const base = `rs:{${stream}}`;
    await env.client.sendCommand(['ACL', 'SETUSER', stream, 'on', '>pw', '&*', '+@all', ...keyRules(base)]);
    const producer = await StreamProducer.connect({ url: env.redis.url, tracing: false });
    await producer.publishMany(stream, [...Array.from({ length: 9 }, (_, n) => `ok-${n}`), 'bad-9'].map((key, n) => ({ data: { n }, options: { idempotencyKey: key } })));
    await producer.close();

    const errors: string[] = [];
    const handled: number[] = [];
    const consumer = new StreamConsumer({
      url: userUrl(stream),
      group: 'g',
      logger: collectingLogger(),
      ack: { batchSize: 10, flushMs: 1_000 },
      shutdownTimeoutMs: 1_000,
    }).subscribe(stream, (message) => void handled.push((message.data as { n: number }).n));
    consumer.on('consumer-error', (error: Error, source: string) => {
      if (source === 'ack') errors.push(error.message);
    });
    await consumer.start();
    try {
      await waitFor(() => errors.length >= 1, { what: 'the refused keyed ack' });
      expect(handled).toHaveLength(10);
      expect(errors[0]).toMatch(refusal);
      expect(await completionBuckets(env.client, stream)).toEqual([]);
      expect(((await env.client.sendCommand(['XPENDING', base, 'g'])) as [number])[0]).toBe(10);
    } finally {
      await consumer.stop();
    }
  });

  it('an idempotent publish without SET on the mark adds no entry (a retry would add a second one)', async () => {
    const stream = 'refused.set';
    await env.client.sendCommand(['ACL', 'SETUSER', 'noset', 'on', '>pw', '~*', '&*', '+@all', '-set']);
    const producer = await StreamProducer.connect({ url: userUrl('noset'), tracing: false });
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        await expect(producer.publish(stream, { n: 1 }, { idempotencyKey: 'k1' })).rejects.toThrow(
          /NOPERM publish-idempotent-2\.lua: this user may not run SET on key rs:\{refused\.set\}:idem:k1/,
        );
      }
      expect(await env.client.sendCommand(['EXISTS', `rs:{${stream}}`])).toBe(0);
    } finally {
      await producer.close();
    }
  });
});
