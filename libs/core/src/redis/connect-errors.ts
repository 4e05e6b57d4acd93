/**
 * What a failed connection attempt means, in words an operator can act on: refused, unknown
 * host, wrong password, plain client on a TLS port and the reverse, certificate problems. Also
 * which failures no reconnect can fix, and how URLs are shown (never with their password).
 */
import { ErrorReply } from 'redis';

/** `redis://user:secret@host` → `redis://user:***@host`; passwords never reach logs or output. */
export function redactUrl(url: string): string {
  // A cluster's root nodes are reported as one comma-separated list: each keeps its own secret.
  if (url.includes(',')) return url.split(',').map(redactUrl).join(',');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
  }
}

export function describeConnectError(error: unknown, url: string): string {
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
  if (tls && (err?.code === 'ERR_TLS_CERT_ALTNAME_INVALID' || /altnames/i.test(message))) {
    return `the server's certificate is not issued for this host name: ${message} (connect with a name the certificate names, or set the TLS servername: client.socket.servername, --tls-servername)`;
  }
  // tls-auth-clients yes (Redis's default) ends the handshake of a client without a certificate.
  if (tls && (/certificate required/i.test(message) || err?.code === 'ECONNRESET' || /socket closed unexpectedly/i.test(message))) {
    return `${message}: the server closed the TLS connection (a Redis with tls-auth-clients yes, its default, needs a client certificate: give cert and key in the client's socket options, or --tls-cert and --tls-key)`;
  }
  if (tls && /certificate|self.signed|CERT_|unable to verify/i.test(message)) {
    return `TLS certificate not trusted: ${message} (give the CA in the client's socket options, or NODE_EXTRA_CA_CERTS)`;
  }
  return message;
}

/** Redis answered and refused (auth, ACL), or TLS rejected a certificate: reconnecting cannot help. */
export function isPermanentConnectError(error: unknown): boolean {
  if (error instanceof ErrorReply) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code);
}
