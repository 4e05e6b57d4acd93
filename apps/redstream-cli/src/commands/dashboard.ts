/**
 * `redstream dashboard`: serves the web dashboard (@redstream/dashboard) until Ctrl-C.
 * Read-only unless --allow-writes; bound to 127.0.0.1 unless --host says otherwise.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Option, type Command } from 'commander';
import { KeyBuilder, RedisConnection, redactUrl } from '@redstream/core';
import { RedisStreamsDashboard } from '@redstream/dashboard';
import type { GlobalOptions } from '../support/admin-action.js';
import { parseNonNegativeInteger } from '../support/parse.js';
import { UsageError } from '../support/usage-error.js';

interface DashboardCommandOptions {
  port: number;
  host: string;
  allowWrites?: boolean;
  token?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Host header names a loopback-bound dashboard answers to (URL hostnames: IPv6 in brackets). */
const LOOPBACK_HOST_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the web dashboard: streams, groups, pending entries, dead letters (read-only unless --allow-writes)')
    .option('-p, --port <port>', 'port to listen on (0: any free port)', parseNonNegativeInteger, 8080)
    .option('--host <host>', 'address to bind; other than localhost, also set --token', '127.0.0.1')
    .option('--allow-writes', 'enable replay, purge, claim, ack and trim from the page')
    .addOption(new Option('--token <token>', 'require this token on every request (Authorization: Bearer, or open ?token= once)').env('REDSTREAM_DASHBOARD_TOKEN'))
    .action(async (options: DashboardCommandOptions, command: Command) => {
      if (options.port > 65_535) throw new UsageError(`--port ${options.port} is not a port (0-65535)`);
      const globals = command.optsWithGlobals<GlobalOptions>();
      // Unlike the one-shot commands the dashboard stays up, so it reconnects when Redis goes away;
      // without an offline queue a page asked for meanwhile says so at once instead of hanging.
      const connection = await RedisConnection.open(
        { url: globals.url, reconnect: true, connectTimeoutMs: globals.connectTimeout, client: { disableOfflineQueue: true } },
        'redstream-dashboard',
      );
      const loopback = LOOPBACK.has(options.host);
      const dashboard = new RedisStreamsDashboard({
        connection,
        keys: new KeyBuilder(globals.prefix),
        allowWrites: options.allowWrites === true,
        token: options.token,
        target: redactUrl(globals.url),
        allowedHosts: loopback ? LOOPBACK_HOST_NAMES : undefined,
      });
      const server = createServer((req, res) => void dashboard.handle(req, res));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      const mode = options.allowWrites ? 'writes allowed' : 'read-only';
      process.stdout.write(`redstream dashboard on http://${host}:${port}/ (${mode}${options.token ? ', token required' : ''}) · ${redactUrl(globals.url)}\n`);
      if (!loopback && !options.token) {
        process.stderr.write(`redstream: the dashboard listens on ${options.host} without --token: anyone who reaches that address can ${options.allowWrites ? 'replay, purge and ack' : 'read your messages'}\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      dashboard.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
    });
}
