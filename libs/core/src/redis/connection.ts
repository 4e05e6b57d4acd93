/**
 * The one module through which the core talks to Redis. Everything above it speaks in
 * raw command arrays and raw replies, so that another client (node-redis v5, a cluster
 * client) can be supported by changing this file alone.
 */
import { EventEmitter } from 'node:events';
import { createClient, type RedisClientOptions } from 'redis';
import { DEFAULT_URL, DEFAULTS } from '../constants.js';
import { RedstreamError } from '../errors/index.js';

export type RedisReply = string | number | null | RedisReply[];
export type ConnectionStatus = 'connected' | 'reconnecting' | 'disconnected';

export interface ConnectionOptions {
  /** `redis://[[user]:password@]host:port[/db]` or `rediss://` for TLS. */
  url?: string;
  /** node-redis client options; merged over `url`. */
  client?: RedisClientOptions;
  /** Give up connecting after this long (ms). */
  connectTimeoutMs?: number;
  /** Reconnect forever with capped exponential backoff (workers), or fail on the first error (CLI). */
  reconnect?: boolean;
}

type NodeRedisClient = ReturnType<typeof createClient>;

export class RedisConnection extends EventEmitter {
  private currentStatus: ConnectionStatus = 'disconnected';
  private closing = false;

  private constructor(
    private readonly client: NodeRedisClient,
    readonly name: string,
  ) {
    super();
    client.on('ready', () => this.setStatus('connected'));
    client.on('reconnecting', () => this.setStatus('reconnecting'));
    client.on('end', () => this.setStatus('disconnected'));
    // node-redis emits 'error' for every failed (re)connect attempt; without a listener
    // the process would crash. The status events carry what callers need.
    client.on('error', (error: Error) => {
      if (!this.closing) this.emit('connection-error', error);
    });
  }

  static async open(options: ConnectionOptions, name: string): Promise<RedisConnection> {
    const reconnect = options.reconnect ?? true;
    const connectTimeout = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    const url = options.url ?? options.client?.url ?? DEFAULT_URL;
    const client = createClient({
      ...options.client,
      url,
      name: options.client?.name ?? name,
      socket: {
        connectTimeout,
        ...(options.client?.socket as object | undefined),
        reconnectStrategy: reconnect ? reconnectDelay : false,
      },
    } as RedisClientOptions) as NodeRedisClient;
    const connection = new RedisConnection(client, name);
    try {
      await withDeadline(client.connect(), connectTimeout, () => `connecting to ${redactUrl(url)} timed out after ${connectTimeout} ms`);
    } catch (error) {
      await client.disconnect().catch(() => undefined);
      throw new RedstreamError('ERR_CONNECTION', `Cannot connect to Redis at ${redactUrl(url)}: ${describeConnectError(error, url)}`, {
        cause: error,
      });
    }
    return connection;
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get isReady(): boolean {
    return this.client.isReady;
  }

  /** Sends one command. Commands sent in the same tick are written to the socket together. */
  send<T = RedisReply>(args: readonly (string | number)[]): Promise<T> {
    return this.client.sendCommand(args.map(String)) as Promise<T>;
  }

  /** Sends many commands as one MULTI/EXEC-free pipeline and returns each reply or error. */
  async pipeline(commands: readonly (readonly (string | number)[])[]): Promise<(RedisReply | Error)[]> {
    return Promise.all(commands.map((args) => this.send(args).catch((error: Error) => error)));
  }

  /** A second connection with the same options (for blocking reads, which monopolise a socket). */
  async duplicate(name: string): Promise<RedisConnection> {
    const copy = new RedisConnection(this.client.duplicate() as NodeRedisClient, name);
    await copy.client.connect();
    return copy;
  }

  /** Graceful close: waits for replies of commands already sent, then QUIT. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (!this.client.isOpen) return;
    try {
      await withDeadline(this.client.quit(), 2_000, () => 'QUIT timed out');
    } catch {
      await this.client.disconnect().catch(() => undefined);
    }
  }

  /** Immediate close; commands in flight are rejected. Used to unblock a blocking read. */
  async disconnect(): Promise<void> {
    this.closing = true;
    if (this.client.isOpen) await this.client.disconnect().catch(() => undefined);
  }

  /** The node-redis client underneath, for users who need it (`unwrap()`). */
  unwrap(): NodeRedisClient {
    return this.client;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emit('status', status);
  }
}

export function reconnectDelay(retries: number): number {
  const { minDelayMs, maxDelayMs } = DEFAULTS.reconnect;
  const capped = Math.min(maxDelayMs, minDelayMs * 2 ** Math.min(retries, 16));
  return Math.round(capped / 2 + Math.random() * (capped / 2));
}

/** `redis://user:secret@host` → `redis://user:***@host`; passwords never reach logs or output. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

function describeConnectError(error: unknown, url: string): string {
  const err = error as NodeJS.ErrnoException;
  const message = err?.message ?? String(error);
  const tls = url.startsWith('rediss:');
  if (err?.code === 'ECONNREFUSED') return 'connection refused (is redis-server running on that host and port?)';
  if (err?.code === 'ENOTFOUND') return 'host not found';
  if (/WRONGPASS|NOAUTH|invalid password/i.test(message)) return 'authentication failed (check the password in the URL)';
  // A plain client talking to a TLS port is reset by the server's TLS layer.
  if (!tls && (err?.code === 'ECONNRESET' || /socket closed unexpectedly/i.test(message))) {
    return `${message}: the server closed the connection (if it expects TLS, use a rediss:// URL)`;
  }
  // A TLS client talking to a plain port never completes the handshake.
  if (tls && /timed out|wrong version number|packet length too long/i.test(message)) {
    return `${message}: no TLS handshake (if the server does not speak TLS on that port, use a redis:// URL)`;
  }
  if (tls && /certificate|self.signed|CERT_|unable to verify/i.test(message)) {
    return `TLS certificate not trusted: ${message} (give the CA in the client's socket options, or NODE_EXTRA_CA_CERTS)`;
  }
  return message;
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export function isErrorReply(error: unknown, prefix: string): boolean {
  return error instanceof Error && error.message.startsWith(prefix);
}
