/**
 * Runs a command against Redis: reads the global options (`--url`/REDIS_URL, `--prefix`,
 * `--json`, `--connect-timeout`, `--tls-*`), opens one connection that fails fast instead of
 * reconnecting, and always closes it.
 */
import type { Command } from 'commander';
import { KeyBuilder, RedisConnection, redactUrl, requireRedisUrl } from '@redstream/core';
import { tlsSocketOptions, type TlsFlags } from './tls-options.js';

export interface GlobalOptions extends TlsFlags {
  url: string;
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
    requireRedisUrl('--url', globals.url);
    const socket = tlsSocketOptions(globals.url, globals);
    const connection = await RedisConnection.open(
      { url: globals.url, client: socket && { socket }, reconnect: false, connectTimeoutMs: globals.connectTimeout },
      'redstream-cli',
    );
    try {
      await handler(contextFor(connection, globals), ...(args.slice(0, -1) as Args));
    } finally {
      await connection.close();
    }
  };
}

function contextFor(connection: RedisConnection, globals: GlobalOptions): AdminContext {
  return {
    connection,
    keys: new KeyBuilder(globals.prefix),
    json: globals.json === true,
    target: redactUrl(globals.url),
    print: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    warn: (text) => process.stderr.write(`redstream: ${text}\n`),
  };
}
