/**
 * The optional token: a request carries it as `Authorization: Bearer <token>`, as the
 * dashboard's cookie, or once as `?token=` (which sets the cookie and redirects to the same
 * URL without it, so it does not stay in the address bar or the history).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const TOKEN_COOKIE = 'redstream_dashboard_token';

export type TokenCheck = { ok: true; fromQuery: boolean } | { ok: false };

export function checkToken(expected: string | undefined, authorization: string | undefined, cookie: string | undefined, query: URLSearchParams): TokenCheck {
  if (expected === undefined) return { ok: true, fromQuery: false };
  const bearer = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
  if (bearer !== undefined && sameSecret(bearer, expected)) return { ok: true, fromQuery: false };
  const fromCookie = readCookie(cookie, TOKEN_COOKIE);
  if (fromCookie !== undefined && sameSecret(fromCookie, expected)) return { ok: true, fromQuery: false };
  const fromQuery = query.get('token');
  if (fromQuery !== null && sameSecret(fromQuery, expected)) return { ok: true, fromQuery: true };
  return { ok: false };
}

export function tokenCookie(token: string, path: string): string {
  return `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=${path}; HttpOnly; SameSite=Strict`;
}

/** Compares digests so neither the length nor the content leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(rest.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
