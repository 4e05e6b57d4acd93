/**
 * TLS with client certificates (`tls-auth-clients yes`), with a CA, server and client
 * certificates made by openssl here: a worker, a producer (the Nest client) and the CLI
 * connect with them; a missing client certificate, an untrusted server, a wrong server
 * name and a plaintext client each fail with their real reason.
 */
import { StreamConsumer } from '@redstream/core';
import { RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { runCli } from '../support/cli.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { clientTls, makeCertificates, type TlsFiles } from '../support/tls-certificates.js';
import { waitFor } from '../support/wait-for.js';

describe('TLS with client certificates', () => {
  let files: TlsFiles;
  let redis: RedisServer;
  let url: string;
  const servers = useRedisServers('file');
  beforeAll(async () => {
    files = makeCertificates();
    redis = await servers.start({ tls: files });
    url = `rediss://localhost:${redis.port}`;
  });
  const cli = (...args: string[]) => runCli(['--url', url, '--tls-ca', files.ca, '--tls-cert', files.clientCert, '--tls-key', files.clientKey, ...args]);

  it('a worker and a producer (Nest client) with the CA and a client certificate: every message handled', async () => {
    const stream = 'tls.orders';
    const handled = new Set<number>();
    const consumer = new StreamConsumer({ url, client: { socket: clientTls(files) }, group: 'g', logger: collectingLogger() }).subscribe(stream, (message) => {
      handled.add((message.data as { n: number }).n);
    });
    await consumer.start();
    const client = new RedisStreamsClient({ url, client: { socket: clientTls(files) }, tracing: false, logger: collectingLogger() });
    try {
      await Promise.all(Array.from({ length: 200 }, (_, n) => lastValueFrom(client.emit(stream, { n }))));
      await waitFor(() => handled.size === 200, { timeoutMs: 10_000, what: '200 messages over TLS' });
    } finally {
      await client.close();
      await consumer.stop();
    }
    const listed = await cli('streams', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ stream, length: 200 })]);
  });

  it('the CLI verifies the certificate against --tls-servername', async () => {
    const byIp = ['--url', `rediss://127.0.0.1:${redis.port}`, '--tls-ca', files.ca, '--tls-cert', files.clientCert, '--tls-key', files.clientKey];
    expect((await runCli([...byIp, '--tls-servername', 'localhost', 'streams'])).code).toBe(0);
    const wrong = await runCli([...byIp, '--tls-servername', 'redis.example.com', 'streams']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/redis\.example\.com/);
    expect(wrong.stderr).toMatch(/altnames|does not match/i);
    expect(wrong.stderr).toMatch(/not issued for this host name: .*--tls-servername/);
    expect(wrong.stderr).not.toMatch(/not trusted/);
  });

  it('the CLI without a client certificate fails with the TLS reason, not a timeout', async () => {
    const result = await runCli(['--url', url, '--tls-ca', files.ca, 'streams']);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/timed out/);
    expect(result.stderr).toMatch(/Cannot connect to Redis at rediss:\/\/localhost:\d+: .*(certificate required|ECONNRESET|socket closed|alert)/i);
    expect(result.stderr).toMatch(/needs a client certificate: .*--tls-cert and --tls-key/);
  });

  it('the CLI refuses a server whose certificate its CA did not sign', async () => {
    const result = await runCli(['--url', url, '--tls-ca', files.otherCa, '--tls-cert', files.clientCert, '--tls-key', files.clientKey, 'streams']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/TLS certificate not trusted: .*(self.signed|unable to verify|local issuer)/i);
  });

  it('a plaintext client to the TLS port fails saying so', async () => {
    const result = await runCli(['--url', `redis://localhost:${redis.port}`, 'streams']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/if it expects TLS, use a rediss:\/\/ URL/);
  });

  it('bad TLS flags are usage errors (exit 2) naming the flag', async () => {
    const plain = await runCli(['--url', `redis://localhost:${redis.port}`, '--tls-ca', files.ca, 'streams']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/--tls-ca need a rediss:\/\/ URL/);
    const missing = await runCli(['--url', url, '--tls-ca', '/nonexistent/ca.pem', 'streams']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--tls-ca \/nonexistent\/ca\.pem: cannot read the file \(ENOENT\)/);
    const half = await runCli(['--url', url, '--tls-cert', files.clientCert, 'streams']);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--tls-cert and --tls-key go together/);
  });
});
