/**
 * Bad usage exits 2 and Redis-side failures exit 1, each with one line on stderr naming the
 * problem; an unreachable or password-protected Redis fails fast and never shows the password.
 */
import { StreamProducer } from '@redstream/core';
import { useRedisServers } from '../support/private-redis.js';
import { freePort, type RedisServer } from '../support/redis-server.js';
import { runCli } from '../support/cli.js';

const STREAM = 'errors.orders';

describe('redstream errors and exit codes', () => {
  let redis: RedisServer;
  let locked: RedisServer;
  let tls: RedisServer;

  const servers = useRedisServers('file');

  beforeAll(async () => {
    [redis, locked, tls] = await Promise.all([
      servers.start(),
      servers.start({ extraArgs: ['--requirepass', 's3cret-pw'] }),
      servers.start({ tls: true }),
    ]);
    const producer = await StreamProducer.connect({ url: redis.url });
    await producer.publish(STREAM, { n: 1 });
    await producer.connection.send(['XGROUP', 'CREATE', `rs:{${STREAM}}`, 'billing', '0']);
    await producer.close();
  });

  function expectOneLine(stderr: string, pattern: RegExp): void {
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^redstream: /);
    expect(lines[0]).toMatch(pattern);
  }

  it('an unknown stream exits 1 naming the stream and its key', async () => {
    const result = await runCli(['--url', redis.url, 'pending', 'no.such.stream']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /Stream "no\.such\.stream" does not exist \(no key rs:\{no\.such\.stream\}\)/);
    expect(result.stdout).toBe('');
  });

  it('an unknown group exits 1 naming the group and the groups that exist', async () => {
    const result = await runCli(['--url', redis.url, 'consumers', STREAM, '--group', 'nope']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /group "nope" does not exist on stream "errors\.orders"; its groups are "billing"/);
  });

  it.each([
    [['pending', STREAM, '--min-idle', 'soon'], /--min-idle.*"soon" is not a duration/],
    [['watch', '--interval', '5x'], /--interval.*"5x" is not a duration/],
    [['ack', STREAM, '1700000000000-0', 'abc'], /"abc" is not a stream entry id/],
    [['dlq', 'show', STREAM, '17-0-1'], /"17-0-1" is not a stream entry id/],
    [['trim', STREAM, '--minid', 'yesterday'], /"yesterday" is not a stream entry id/],
    [['pending', STREAM, '--limit', '-3'], /--limit/],
    [['trim', STREAM], /trim needs exactly one of --safe, --maxlen <n>, --minid <id>/],
    [['trim', STREAM, '--safe', '--maxlen', '10'], /trim needs exactly one of/],
    [['dlq', 'purge', STREAM], /dlq purge needs exactly one of/],
    [['claim', STREAM, '--to', 'w1'], /claim needs either entry ids or --from/],
    [['pending'], /missing required argument 'stream'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('bad usage %j exits 2 with the reason', async (args, reason) => {
    const result = await runCli(['--url', redis.url, ...args]);
    expect(result.code).toBe(2);
    expectOneLine(result.stderr, reason);
  });

  it('a refused port fails in seconds with exit 1', async () => {
    const port = await freePort();
    const result = await runCli(['--url', `redis://127.0.0.1:${port}`, 'streams']);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, new RegExp(`Cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}: connection refused`));
    expect(result.elapsedMs).toBeLessThan(5_000);
  });

  it('a wrong password fails in seconds and is never printed', async () => {
    const result = await runCli(['--url', `redis://:wrong-pw@127.0.0.1:${locked.port}`, 'pending', STREAM]);
    expect(result.code).toBe(1);
    expectOneLine(result.stderr, /authentication failed/);
    expect(result.stderr).toContain('redis://:***@127.0.0.1');
    expect(result.stderr).not.toContain('wrong-pw');
    expect(result.elapsedMs).toBeLessThan(5_000);
  });

  it('takes the URL from REDIS_URL and masks its password in watch headers', async () => {
    const result = await runCli(['watch', '--iterations', '1'], { REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${locked.port}` });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`redis://:***@127.0.0.1:${locked.port}`);
    expect(result.stdout).not.toContain('s3cret-pw');
  });

  describe('TLS mismatch fails fast with a hint, in both directions', () => {
    it('redis:// against a TLS port', async () => {
      const started = Date.now();
      const result = await runCli(['--url', `redis://127.0.0.1:${tls.port}`, 'streams']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, /Cannot connect to Redis at redis:\/\/127\.0\.0\.1:\d+: .*use a rediss:\/\/ URL/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('rediss:// against a plain port', async () => {
      const started = Date.now();
      const result = await runCli(['--url', `rediss://127.0.0.1:${redis.port}`, '--connect-timeout', '1s', 'streams']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, /no TLS handshake \(if the server does not speak TLS on that port, use a redis:\/\/ URL\)/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('rediss:// to a server whose certificate is not trusted', async () => {
      const result = await runCli(['--url', `rediss://127.0.0.1:${tls.port}`, 'streams']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, /TLS certificate not trusted: self-signed certificate/);
    });
  });
});
