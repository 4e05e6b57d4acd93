/**
 * A private redis-server per test file, on a free port, in a temporary directory, so tests
 * can kill, restart and pause it without touching anyone else's Redis.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { clientTls, type TlsFiles } from './tls-certificates.js';
import { waitFor } from './wait-for.js';

export interface RedisServerOptions {
  /** Append-only file with fsync on every write, so a restart loses nothing. */
  aof?: boolean;
  /**
   * Cluster mode. `'all-slots'`: this one node owns all 16384 slots, so every multi-key
   * command and Lua step is checked for CROSSSLOT exactly as in a real Redis Cluster.
   * `'member'`: a node without slots, to be joined into a cluster (see redis-cluster.ts).
   */
  cluster?: 'all-slots' | 'member';
  /**
   * TLS only, on `port`: `true` with a self-signed certificate made by openssl in the
   * server's directory and no client certificates; or the files of makeCertificates(), with
   * `tls-auth-clients yes` (clients must present a certificate signed by the CA).
   */
  tls?: boolean | TlsFiles;
  extraArgs?: string[];
}

export class RedisServer {
  private process: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'redstream-redis-')), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** Starts redis-server again on the same port and directory (after kill()). */
  async launch(): Promise<void> {
    const ports = this.options.tls ? ['--port', '0', '--tls-port', String(this.port), ...this.tlsArgs()] : ['--port', String(this.port)];
    const files = typeof this.options.tls === 'object' ? this.options.tls : undefined;
    const args = [...ports, '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--daemonize', 'no', '--logfile', 'redis.log'];
    if (this.options.aof) args.push('--appendonly', 'yes', '--appendfsync', 'always');
    else args.push('--appendonly', 'no');
    if (this.options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf');
    args.push(...(this.options.extraArgs ?? []));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.process = child;
    await waitFor(() => canConnect(this.port, this.options.tls !== undefined && this.options.tls !== false, files), { timeoutMs: 10_000, what: `redis-server on port ${this.port}` });
    if (this.options.cluster === 'all-slots') await this.assignAllSlots();
  }

  private tlsArgs(): string[] {
    if (typeof this.options.tls === 'object') {
      const files = this.options.tls;
      return ['--tls-cert-file', files.serverCert, '--tls-key-file', files.serverKey, '--tls-ca-cert-file', files.ca, '--tls-auth-clients', 'yes'];
    }
    const cert = join(this.dir, 'cert.pem');
    const key = join(this.dir, 'key.pem');
    if (!existsSync(cert)) {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], {
        stdio: 'ignore',
      });
    }
    return ['--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'];
  }

  /** A fresh cluster node takes every slot; a restarted one still has them in nodes.conf. */
  private async assignAllSlots(): Promise<void> {
    const client = await this.client();
    try {
      const info = String(await client.sendCommand(['CLUSTER', 'INFO']));
      if (!info.includes('cluster_slots_assigned:16384')) await client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', '0', '16383']);
      await waitFor(async () => String(await client.sendCommand(['CLUSTER', 'INFO'])).includes('cluster_state:ok'), {
        timeoutMs: 10_000,
        what: `cluster state ok on port ${this.port}`,
      });
    } finally {
      await client.quit();
    }
  }

  /** SIGKILL: no shutdown save, connections drop at once. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.process = undefined;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** A short-lived client for assertions (no reconnect); over TLS with the client certificate when the server has makeCertificates() files. */
  async client() {
    const files = typeof this.options.tls === 'object' ? this.options.tls : undefined;
    const client = files
      ? createClient({ url: `rediss://localhost:${this.port}`, socket: { ...clientTls(files), reconnectStrategy: false } })
      : createClient({ url: this.url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number, tls: boolean, files?: TlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const onConnect = () => {
      socket.write('PING\r\n');
      socket.once('data', (data) => {
        socket.destroy();
        // A server started with --requirepass answers NOAUTH: it is up all the same.
        resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
      });
    };
    const socket = tls ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...(files && clientTls(files)) }, onConnect) : new Socket();
    socket.once('error', () => resolve(false));
    if (!tls) socket.connect(port, '127.0.0.1', onConnect);
  });
}
