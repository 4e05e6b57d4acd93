import { RedstreamError } from './redstream.error.js';

/**
 * Redis could not be reached or refused us. `code` is the underlying reason when one is known,
 * as Node and Redis name it — `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, `WRONGPASS`, `NOAUTH`,
 * `NOPERM`, a TLS code such as `DEPTH_ZERO_SELF_SIGNED_CERT` — so that code written for Nest's own
 * transports (`error.code === 'ECONNREFUSED'`) keeps working; `ERR_CONNECTION` otherwise.
 * `cause` is the underlying error itself.
 */
export class ConnectionError extends RedstreamError {
  constructor(message: string, cause: unknown) {
    super(connectErrorCode(cause) ?? 'ERR_CONNECTION', message, { cause });
  }
}

/** The code of a socket, TLS or Redis error: Node's `code`, else the first word of a Redis error reply. */
export function connectErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && code.length > 0) return code;
  const message = (error as { message?: unknown } | undefined)?.message;
  const word = typeof message === 'string' ? /^([A-Z][A-Z_]{2,})\b/.exec(message)?.[1] : undefined;
  return word;
}
