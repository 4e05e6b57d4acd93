/**
 * The CLI's TLS options: `--tls-ca`, `--tls-cert`, `--tls-key` (PEM files) and
 * `--tls-servername`, turned into node-redis socket options for a `rediss://` URL. A Redis
 * with `tls-auth-clients yes` (its default) resets connections without a client certificate.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

export interface TlsFlags {
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServername?: string;
}

export interface TlsSocketOptions {
  tls: true;
  ca?: string;
  cert?: string;
  key?: string;
  servername?: string;
}

/** Socket options for the flags given, or undefined when none was. Throws UsageError for a bad combination or an unreadable file. */
export function tlsSocketOptions(url: string, flags: TlsFlags): TlsSocketOptions | undefined {
  const given = (['tlsCa', 'tlsCert', 'tlsKey', 'tlsServername'] as const).filter((flag) => flags[flag] !== undefined);
  if (given.length === 0) return undefined;
  if (!url.startsWith('rediss://')) {
    throw new UsageError(`${given.map(flagName).join(', ')} need a rediss:// URL (TLS); --url is not one`);
  }
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: the client certificate and its private key');
  }
  return {
    tls: true,
    ...(flags.tlsCa !== undefined && { ca: readPem('--tls-ca', flags.tlsCa) }),
    ...(flags.tlsCert !== undefined && { cert: readPem('--tls-cert', flags.tlsCert) }),
    ...(flags.tlsKey !== undefined && { key: readPem('--tls-key', flags.tlsKey) }),
    ...(flags.tlsServername !== undefined && { servername: flags.tlsServername }),
  };
}

function readPem(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${flag} ${path}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

function flagName(flag: string): string {
  return `--${flag.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
