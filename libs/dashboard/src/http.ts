/**
 * The HTTP edge shared by every host (the CLI's own server, Express and Fastify through the
 * Nest module): requests in, responses out with the security headers every response carries.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PRIORITY_LEVELS, type PriorityLevel } from '@redstream/core';

export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

/** A request as the hosts hand it over: Express has parsed JSON into `body`; others leave the stream unread. */
export type HostRequest = IncomingMessage & { originalUrl?: string; body?: unknown };

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message);
  }
}

/** A priority level named by a page's `?priority=` or an action's `priority`; undefined when none is named. */
export function priorityParam(value: string | null | undefined): PriorityLevel | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (!(PRIORITY_LEVELS as readonly string[]).includes(value)) throw new BadRequest(`priority "${value}" is not a level: one of ${PRIORITY_LEVELS.join(', ')}`);
  return value as PriorityLevel;
}

/**
 * Nothing but this origin's own files: no inline script (a payload that slips into markup
 * still cannot run), no framing, no form posts elsewhere.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // A token given as ?token= must not leak to other sites through Referer.
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Request bodies are small JSON selections; anything larger is refused. */
const MAX_BODY_BYTES = 1_048_576;

export function htmlResponse(status: number, body: string, headers: Record<string, string> = {}): DashboardResponse {
  return { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers }, body };
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): DashboardResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(value) };
}

export function writeResponse(res: ServerResponse, response: DashboardResponse): void {
  res.writeHead(response.status, { ...SECURITY_HEADERS, ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) });
  res.end(response.body);
}

/** The request's JSON body, whether the host already parsed it (Express) or not (Fastify middleware, plain node). */
export async function readJsonBody(req: HostRequest): Promise<unknown> {
  if (req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body !== 'string') return req.body;
  let text: string;
  if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) text = req.body.toString();
  else {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk);
    }
    text = Buffer.concat(chunks).toString('utf8');
  }
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest('the request body is not valid JSON');
  }
}
