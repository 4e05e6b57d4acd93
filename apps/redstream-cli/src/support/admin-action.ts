/**
 * Runs a command against Redis: reads the global options (`--url`/REDIS_URL, `--prefix`,
 * `--json`, `--connect-timeout`, `--tls-*`, `--cluster`), opens one connection that fails fast instead of
 * reconnecting, and always closes it.
 */
import type { Command } from 'commander';
import { KeyBuilder, RedisConnection, redactCredentials, redactUrl, requireRedisUrl, type ConnectionOptions } from '@redstream/core';
import { tlsSocketOptions, type TlsFlags } from './tls-options.js';

export interface GlobalOptions extends TlsFlags {
  url: string;
  cluster?: boolean;
  prefix: string;
  json: boolean;
  connectTimeout: number;
}

export interface AdminContext {
  connection: RedisConnection;
  keys: KeyBuilder;
  json: boolean;
  /** The Redis URL with any password masked, for headers and messages. */
  target: string;
  /** Where the command sends its result (stdout); progress and warnings go to stderr. */
  print(text: string): void;
  printJson(value: unknown): void;
  warn(text: string): void;
}

/**
 * Wraps a command handler: commander calls actions with the positional arguments, then
 * the command's options, then the command itself.
 */
export function adminAction<Args extends unknown[]>(
  handler: (context: AdminContext, ...args: Args) => Promise<void>,
): (...args: [...Args, Command]) => Promise<void> {
  return async (...args) => {
    const command = args[args.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions>();
    const connection = await RedisConnection.open(connectionOptions(globals), 'redstream-cli');
    try {
      await handler(contextFor(connection, globals), ...(args.slice(0, -1) as Args));
    } finally {
      await connection.close();
    }
  };
}

/**
 * One endpoint, or with `--cluster` a Redis Cluster discovered from the seed node(s) in
 * `--url` (comma-separated); the first URL's user and password and the TLS options apply to
 * every node the cluster reports.
 */
function connectionOptions(globals: GlobalOptions): ConnectionOptions {
  const common = { reconnect: false, connectTimeoutMs: globals.connectTimeout };
  const urls = globals.cluster ? globals.url.split(',').map((url) => url.trim()) : [globals.url];
  urls.forEach((url) => requireRedisUrl('--url', url));
  const socket = tlsSocketOptions(urls[0], globals);
  if (!globals.cluster) return { ...common, url: globals.url, client: socket && { socket } };
  const seed = new URL(urls[0]);
  const credentials = {
    ...(seed.username && { username: decodeURIComponent(seed.username) }),
    ...(seed.password && { password: decodeURIComponent(seed.password) }),
  };
  // Credentials travel in `defaults` only, so no seed URL carries a password into messages.
  const rootNodes = urls.map((url) => {
    const node = new URL(url);
    node.username = '';
    node.password = '';
    return { url: node.toString().replace(/\/$/, '') };
  });
  return { ...common, cluster: { rootNodes, defaults: { ...credentials, ...(socket && { socket }) } } };
}

function contextFor(connection: RedisConnection, globals: GlobalOptions): AdminContext {
  return {
    connection,
    keys: new KeyBuilder(globals.prefix),
    json: globals.json === true,
    target: globals.cluster ? redactCredentials(globals.url) : redactUrl(globals.url),
    print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    warn: (text) => process.stderr.write(`redstream: ${text}\n`),
  };
}
