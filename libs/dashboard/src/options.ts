/** What a dashboard serves and allows; validated once, with messages naming the option. */
import { InvalidOptionError, type KeyBuilder, type RedisConnection } from '@redstream/core';

export interface DashboardOptions {
  connection: RedisConnection;
  keys: KeyBuilder;
  /** Where the dashboard is mounted, e.g. `/redstream`; `/` for a server of its own. */
  basePath?: string;
  /** Show write buttons and accept write requests (replay, purge, claim, ack, trim). Default false. */
  allowWrites?: boolean;
  /** When set, every request must carry it (Authorization: Bearer, the cookie, or `?token=`). */
  token?: string;
  /** What the header says the dashboard is connected to; pass a URL through redactUrl first. */
  target?: string;
  /**
   * Host names (without port) the Host header may carry; any other request gets 403. The CLI
   * sets the loopback names when it binds to localhost. Default: any host.
   */
  allowedHosts?: readonly string[];
  /** Streams are sampled this often for the charts while someone looks. Default 1000 ms. */
  sampleIntervalMs?: number;
  /** Chart history kept per stream. Default 15 minutes. */
  historyMs?: number;
}

export interface ResolvedDashboardOptions extends Required<Omit<DashboardOptions, 'token' | 'allowedHosts'>> {
  token: string | undefined;
  allowedHosts: readonly string[] | undefined;
}

export function resolveDashboardOptions(options: DashboardOptions): ResolvedDashboardOptions {
  const basePath = normalizeBasePath(options.basePath ?? '/');
  if (options.token !== undefined && options.token.length < 8) {
    throw new InvalidOptionError('token', '(hidden)', 'at least 8 characters, or no token');
  }
  const sampleIntervalMs = options.sampleIntervalMs ?? 1_000;
  if (!Number.isInteger(sampleIntervalMs) || sampleIntervalMs < 1_000) {
    throw new InvalidOptionError('sampleIntervalMs', sampleIntervalMs, 'an integer of at least 1000 (the dashboard polls Redis at most once a second)');
  }
  const historyMs = options.historyMs ?? 15 * 60_000;
  if (!Number.isInteger(historyMs) || historyMs < sampleIntervalMs) throw new InvalidOptionError('historyMs', historyMs, `an integer of at least sampleIntervalMs (${sampleIntervalMs})`);
  return {
    connection: options.connection,
    keys: options.keys,
    basePath,
    allowWrites: options.allowWrites === true,
    token: options.token,
    allowedHosts: options.allowedHosts?.map((host) => host.toLowerCase()),
    target: options.target ?? 'redis',
    sampleIntervalMs,
    historyMs,
  };
}

/** `redstream/` → `/redstream`; `/` stays `/`. */
export function normalizeBasePath(path: string): string {
  if (!/^[\w\-./]*$/.test(path)) throw new InvalidOptionError('path', path, 'a URL path of letters, digits, "-", "_", "." and "/", e.g. /redstream');
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}`;
}
