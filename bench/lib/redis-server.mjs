/**
 * A private redis-server for one benchmark run, on a free port in a temporary directory,
 * so the numbers never depend on (or disturb) a Redis somebody else is using.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

export class BenchRedis {
  constructor(port, dir, child, admin) {
    this.port = port;
    this.dir = dir;
    this.child = child;
    this.admin = admin;
  }

  /** `persistence`: 'none' (no RDB, no AOF) or 'aof' (appendonly, fsync everysec); `extraArgs` e.g. cluster mode. */
  static async start(persistence, extraArgs = []) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'redstream-bench-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--logfile', 'redis.log'];
    if (persistence === 'aof') args.push('--appendonly', 'yes', '--appendfsync', 'everysec');
    else args.push('--appendonly', 'no');
    // Nest's Redis transport is plain pub/sub: a subscriber that falls behind would be cut off
    // by the default pubsub output-buffer limit and lose messages, so lift it for the reference.
    args.push('--client-output-buffer-limit', 'pubsub', '0', '0', '0', ...extraArgs);
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const admin = await connectWithRetry(`redis://127.0.0.1:${port}`);
    return new BenchRedis(port, dir, child, admin);
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid() {
    return this.child.pid;
  }

  async version() {
    return /redis_version:(\S+)/.exec(await this.admin.info('server'))?.[1];
  }

  /** CPU seconds this redis-server used so far (INFO cpu used_cpu_sys + used_cpu_user). */
  async cpuSeconds() {
    const info = await this.admin.info('cpu');
    return Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
  }

  async usedMemory() {
    return Number(/used_memory:(\d+)/.exec(await this.admin.info('memory'))?.[1]);
  }

  async flush() {
    await this.admin.flushAll();
    await this.admin.sendCommand(['MEMORY', 'PURGE']).catch(() => undefined);
  }

  async stop() {
    await this.admin.disconnect().catch(() => undefined);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function connectWithRetry(url) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return client;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`redis-server did not start on ${url}: ${error.message}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
