/**
 * The one module through which the core talks to Redis. Everything above it speaks in
 * raw command arrays and raw replies, so that another client (node-redis v5, a cluster
 * client) can be supported by changing this file alone.
 */
import { EventEmitter } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { createClient, createCluster, ErrorReply, type RedisClientOptions, type RedisClusterOptions } from 'redis';
import { backoffDelay } from '../backoff.js';
import { DEFAULT_URL, DEFAULTS, QUIT_TIMEOUT_MS, RECONNECT_BACKOFF } from '../constants.js';
import { withDeadline } from '../deadline.js';
import { ConnectionError, RedstreamError } from '../errors/index.js';
import { describeConnectError, isPermanentConnectError, redactUrl } from './connect-errors.js';

export { redactUrl } from './connect-errors.js';

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
  /**
   * Redis Cluster: node-redis cluster options (`rootNodes`, `defaults` with credentials and
   * TLS for every node). Commands are routed by their key; `url` and `client` are ignored.
   */
  cluster?: RedisClusterOptions;
}

type NodeRedisClient = ReturnType<typeof createClient>;
type NodeRedisCluster = ReturnType<typeof createCluster>;

/** Host and port of one Redis server (a cluster node). */
export interface Endpoint {
  host: string;
  port: number;
}

export class RedisConnection extends EventEmitter {
  private currentStatus: ConnectionStatus = 'disconnected';
  private closing = false;

  private constructor(
    private readonly client: NodeRedisClient | undefined,
    private readonly cluster: NodeRedisCluster | undefined,
    readonly name: string,
    private readonly options: ConnectionOptions,
  ) {
    super();
    const source = (client ?? cluster)!;
    if (client) {
      client.on('ready', () => {
        this.nameConnection(client);
        this.setStatus('connected');
        this.openGate();
      });
      client.on('reconnecting', () => this.setStatus('reconnecting'));
      client.on('end', () => {
        this.setStatus('disconnected');
        this.openGate();
      });
    }
    // node-redis emits 'error' for every failed (re)connect attempt; without a listener
    // the process would crash. The status events carry what callers need.
    source.on('error', (error: Error) => {
      if (!this.closing) this.emit('connection-error', error);
    });
  }

  static async open(options: ConnectionOptions, name: string): Promise<RedisConnection> {
    const reconnect = options.reconnect ?? true;
    const connectTimeout = options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs;
    if (options.cluster) return RedisConnection.openCluster(options, name, connectTimeout, reconnect);
    const url = options.url ?? options.client?.url ?? DEFAULT_URL;
    // Named after AUTH succeeded (nameConnection), and no CLIENT SETINFO: the handshake is AUTH alone.
    const single = { ...nodeOptions(options.client, name, connectTimeout, reconnect), name: undefined, disableClientInfo: true, url };
    const client = createClient(single as RedisClientOptions) as NodeRedisClient;
    const connection = new RedisConnection(client, undefined, options.client?.name ?? name, options);
    await connection.connectWithin(connectTimeout, url);
    return connection;
  }

  private static async openCluster(options: ConnectionOptions, name: string, connectTimeout: number, reconnect: boolean): Promise<RedisConnection> {
    const given = options.cluster!;
    const cluster = createCluster({
      ...given,
      defaults: nodeOptions(given.defaults, name, connectTimeout, reconnect),
    } as RedisClusterOptions) as NodeRedisCluster;
    const connection = new RedisConnection(undefined, cluster, name, options);
    await connection.connectWithin(connectTimeout, given.rootNodes.map((node) => node.url ?? '').join(','));
    connection.setStatus('connected');
    return connection;
  }

  /**
   * Connects, retrying refused or reset sockets (Redis may be starting) until the deadline, and
   * failing at once when Redis answered with a refusal (wrong password, missing permission) or
   * the TLS handshake rejected a certificate: retrying cannot fix those. Either way the error
   * names the last underlying reason and keeps its code, never only the deadline.
   */
  private async connectWithin(connectTimeout: number, url: string): Promise<void> {
    const target = (this.client ?? this.cluster)!;
    let lastError: unknown;
    let refuse: (error: unknown) => void = () => {};
    const refused = new Promise<never>((_, reject) => {
      refuse = reject;
    });
    const noteError = (error: unknown) => {
      lastError = error;
      if (isPermanentConnectError(error)) refuse(error);
    };
    target.on('error', noteError);
    try {
      await withDeadline<unknown>(Promise.race([target.connect().then(() => this.proveSpeaking()), refused]), connectTimeout, () => {
        throw new Error(`connecting timed out after ${connectTimeout} ms`);
      });
    } catch (error) {
      await target.disconnect().catch(() => undefined);
      const reason = lastError ?? error;
      const waited = lastError !== undefined && error !== lastError ? ` (gave up after ${connectTimeout} ms)` : '';
      throw new ConnectionError(`Cannot connect to Redis at ${redactUrl(url)}: ${describeConnectError(reason, url)}${waited}`, reason);
    } finally {
      target.off('error', noteError);
    }
  }

  /**
   * One round trip once connected: without a password the handshake sends nothing, so a server
   * that does not speak our protocol (a TLS port for a plain client) would only show at the first
   * command. Any answer from Redis, a refused PING included, proves the connection.
   */
  private async proveSpeaking(): Promise<void> {
    if (!this.client) return;
    await this.client.sendCommand(['PING']).catch((error: unknown) => {
      if (!isRedisErrorReply(error)) throw error;
    });
  }

  /** True for a Redis Cluster connection: blocking reads then need one connection per slot. */
  get isCluster(): boolean {
    return this.cluster !== undefined;
  }

  /** The cluster slot of a key (all keys of one stream share it). */
  static slotOf(key: string): number {
    return calculateSlot(key);
  }

  /** The primary serving a key's slot (cluster), from the client's current slot map. */
  endpointOf(key: string): Endpoint {
    if (!this.cluster) throw new RedstreamError('ERR_NOT_CLUSTER', 'endpointOf() needs a cluster connection.');
    const master = this.cluster.getSlotMaster(calculateSlot(key));
    return { host: master.host, port: master.port };
  }

  /**
   * A plain connection to one node of this cluster, with the cluster's credentials and TLS
   * settings (for a blocking read, which must stay on the node that owns its streams).
   */
  async openNode(endpoint: Endpoint, name: string): Promise<RedisConnection> {
    const defaults = this.options.cluster?.defaults ?? {};
    const socket = { ...(defaults.socket as object | undefined), host: endpoint.host, port: endpoint.port };
    const tls = (defaults.socket as { tls?: boolean } | undefined)?.tls === true;
    // No offline queue: a read sent to a node that is gone fails at once, so the reader can follow its slot.
    const client = { ...defaults, socket, disableOfflineQueue: true } as RedisClientOptions;
    const url = `${tls ? 'rediss' : 'redis'}://${endpoint.host}:${endpoint.port}`;
    return RedisConnection.open({ ...this.options, cluster: undefined, url, client }, name);
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }

  get isReady(): boolean {
    return this.client ? this.client.isReady : this.cluster!.isOpen;
  }

  /**
   * Sends one command. Commands sent in the same tick are written to the socket together.
   * While a client is (re)connecting, commands wait here instead of in node-redis's offline
   * queue: node-redis writes that queue right behind the AUTH of a new socket, so after a
   * refused AUTH (rotated password) they would run as the `default` user. Here they leave only
   * once the connection is ready, that is, authenticated as the configured user.
   */
  send<T = RedisReply>(args: readonly (string | number)[]): Promise<T> {
    // Copied only when a number must become a string: most commands are all strings already.
    const command = args.every(isString) ? (args as string[]) : args.map(String);
    const client = this.client;
    if (client) {
      if (!client.isReady && client.isOpen && !this.failsFastOffline) return this.untilReady().then(() => client.sendCommand(command) as Promise<T>);
      return client.sendCommand(command) as Promise<T>;
    }
    return this.cluster!.sendCommand(commandKey(command), false, command) as Promise<T>;
  }

  /**
   * Sends a command that has no key of its own (WAIT) to the server that holds `key`: in a
   * cluster, the primary of the key's slot, where the writes it is about were made.
   */
  sendRoutedBy<T = RedisReply>(key: string, args: readonly (string | number)[]): Promise<T> {
    if (this.client) return this.send<T>(args);
    return this.cluster!.sendCommand(key, false, args.map(String)) as Promise<T>;
  }

  /** `disableOfflineQueue`: commands fail at once while disconnected (node-redis rejects them), none wait. */
  private get failsFastOffline(): boolean {
    return (this.options.client as { disableOfflineQueue?: boolean } | undefined)?.disableOfflineQueue === true;
  }

  private gate: Promise<void> | undefined;
  private releaseGate: (() => void) | undefined;

  private untilReady(): Promise<void> {
    this.gate ??= new Promise<void>((resolve) => {
      this.releaseGate = resolve;
    });
    return this.gate;
  }

  /** Ready (commands go out) or ended (they fail with node-redis's ClientClosedError). */
  private openGate(): void {
    const release = this.releaseGate;
    this.gate = undefined;
    this.releaseGate = undefined;
    release?.();
  }

  /**
   * CLIENT SETNAME once the connection is ready rather than in node-redis's handshake, where it
   * would run before AUTH's answer is known. Best effort: a user without CLIENT|SETNAME works.
   */
  private nameConnection(client: NodeRedisClient): void {
    client.sendCommand(['CLIENT', 'SETNAME', this.name]).catch((error: Error) => {
      if (this.namingRefused) return;
      this.namingRefused = true;
      this.emit('connection-error', new RedstreamError('ERR_CONNECTION_NAME', `CLIENT SETNAME ${this.name} refused (${error.message}); the connection works unnamed.`, { cause: error }));
    });
  }
  private namingRefused = false;

  /** A second connection with the same options (for blocking reads, which monopolise a socket). */
  async duplicate(name: string): Promise<RedisConnection> {
    if (this.cluster) {
      const copy = new RedisConnection(undefined, this.cluster.duplicate() as NodeRedisCluster, name, this.options);
      await copy.cluster!.connect();
      copy.setStatus('connected');
      return copy;
    }
    const copy = new RedisConnection(this.client!.duplicate() as NodeRedisClient, undefined, name, this.options);
    await copy.client!.connect();
    return copy;
  }

  /**
   * SUBSCRIBE on this connection, which then serves pub/sub only (open it with duplicate()).
   * node-redis subscribes again by itself after a reconnect.
   */
  async subscribe(channels: readonly string[], listener: (message: string, channel: string) => void): Promise<void> {
    const target = (this.client ?? this.cluster) as unknown as { subscribe(channels: string[], listener: (message: string, channel: string) => void): Promise<void> };
    await target.subscribe([...channels], listener);
  }

  /** Graceful close: waits for replies of commands already sent, then QUIT. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const target = (this.client ?? this.cluster)!;
    if (!target.isOpen) return;
    try {
      await withDeadline<unknown>(target.quit(), QUIT_TIMEOUT_MS, () => {
        throw new Error('QUIT timed out');
      });
    } catch {
      await target.disconnect().catch(() => undefined);
    }
    if (this.cluster) this.setStatus('disconnected');
  }

  /** Immediate close; commands in flight are rejected. Used to unblock a blocking read. */
  async disconnect(): Promise<void> {
    this.closing = true;
    const target = (this.client ?? this.cluster)!;
    if (target.isOpen) await target.disconnect().catch(() => undefined);
    if (this.cluster) this.setStatus('disconnected');
  }

  /** The node-redis client (or cluster) underneath, for users who need it (`unwrap()`). */
  unwrap(): NodeRedisClient | NodeRedisCluster {
    return (this.client ?? this.cluster)!;
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.emit('status', status);
  }
}

/** The user's options for one connection (or every cluster node) with redstream's name, timeout and reconnect policy. */
function nodeOptions(given: Partial<RedisClientOptions> | undefined, name: string, connectTimeout: number, reconnect: boolean) {
  return {
    ...given,
    name: given?.name ?? name,
    socket: {
      connectTimeout,
      ...(given?.socket as object | undefined),
      reconnectStrategy: reconnect ? reconnectDelay : false,
    },
  };
}

/**
 * The key a command is routed by in a cluster: the first key argument, wherever the
 * command keeps it. Commands without a key (CLIENT, PING, INFO) go to any node.
 */
export function commandKey(args: readonly string[]): string | undefined {
  switch (args[0].toUpperCase()) {
    case 'EVAL':
    case 'EVALSHA':
      return Number(args[2]) > 0 ? args[3] : undefined;
    case 'XREAD':
    case 'XREADGROUP': {
      const streams = args.findIndex((arg) => arg.toUpperCase() === 'STREAMS');
      return streams < 0 ? undefined : args[streams + 1];
    }
    case 'XINFO':
    case 'XGROUP':
      return args[2];
    case 'CLIENT':
    case 'PING':
    case 'INFO':
    case 'SCRIPT':
    case 'CLUSTER':
      return undefined;
    default:
      return args[1];
  }
}

/** node-redis's reconnect strategy: the shared backoff, `retries` counting from 0. */
export function reconnectDelay(retries: number): number {
  return backoffDelay(retries + 1, RECONNECT_BACKOFF);
}

/** True for an error Redis answered with; false for socket and connection failures. */
export function isRedisErrorReply(error: unknown): boolean {
  return error instanceof ErrorReply;
}

export function isErrorReply(error: unknown, prefix: string): boolean {
  return error instanceof Error && error.message.startsWith(prefix);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
