/**
 * Two smaller production cases: a password in a URL that cannot be used never shows in the
 * error (producer, worker, CLI); and the stream registry `rs:streams` that the CLI lists is
 * filled again by the workers after Redis restarted empty.
 */
import { inspect } from 'node:util';
import { InvalidOptionError, StreamConsumer, StreamProducer } from '@redstream/core';
import { runCli } from '../support/cli.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

describe('after Redis restarts empty, and with unusable URLs', () => {
  const servers = useRedisServers();
  const secret = 'n0t-for-logs';

  it('a producer and a worker reject an unparsable URL with the password masked, before any connection', async () => {
    for (const url of [`redis://:${secret}@redis.internal:99999`, `redis://app:${secret}@redis internal:6379`]) {
      const error = (await StreamProducer.connect({ url }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(`${error.message} ${inspect(error)}`).not.toContain(secret);
      expect(error.message).toContain(':***@');
      expect(() => new StreamConsumer({ url, group: 'g' })).toThrow(InvalidOptionError);
    }
    const cluster = (await StreamProducer.connect({ cluster: { rootNodes: [{ url: `redis://:${secret}@10.0.0.1:6379:1` }] } }).catch((e: unknown) => e)) as Error;
    expect(cluster.message).toMatch(/cluster\.rootNodes\[0\]\.url/);
    expect(`${cluster.message} ${inspect(cluster)}`).not.toContain(secret);
  });

  it('the CLI says the --url is invalid (exit 2) without printing the password', async () => {
    const result = await runCli(['--url', `redis://:${secret}@redis.internal:99999`, 'streams']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Invalid option `--url`: got "redis:\/\/:\*\*\*@redis\.internal:99999"; expected a valid URL/);
    expect(result.stderr + result.stdout).not.toContain(secret);
  });

  it('a worker puts its streams back into rs:streams after Redis restarted without persistence', async () => {
    const stream = 'registry.refill';
    // A server of its own: the restart drops every connection to it.
    const redis = await servers.start();
    const handled: unknown[] = [];
    const consumer = new StreamConsumer({ url: redis.url, group: 'g', blockMs: 200, logger: collectingLogger() }).subscribe(stream, (message) => {
      handled.push(message.data);
    });
    await consumer.start();
    try {
      const before = await redis.client();
      expect(await before.sendCommand(['SMEMBERS', 'rs:streams'])).toContain(stream);
      await before.quit();

      await redis.restart();
      const client = await redis.client();
      try {
        expect(await client.sendCommand(['EXISTS', 'rs:streams'])).toBe(0);
        await waitFor(async () => ((await client.sendCommand(['SMEMBERS', 'rs:streams'])) as string[]).includes(stream), {
          timeoutMs: 15_000,
          what: 'the registry filled again',
        });
        await client.sendCommand(['XADD', `rs:{${stream}}`, '*', 'data', '{"after":"restart"}', 'id', 'm1', 'ts', '1']);
        await waitFor(() => handled.length === 1, { timeoutMs: 15_000, what: 'a message after the restart' });
      } finally {
        await client.quit();
      }
    } finally {
      await consumer.stop();
    }
  });
});
