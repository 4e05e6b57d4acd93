/**
 * The dashboard as one request handler, `handle(req, res, next?)`, that the CLI's own HTTP
 * server and the Nest module (Express or Fastify) mount under a base path. Every number it
 * shows and every action it takes comes from @redstream/core's admin functions.
 */
import type { ServerResponse } from 'node:http';
import { RedstreamError, UnknownGroupError, UnknownStreamError } from '@redstream/core';
import { runAction, type ActionName } from './actions.js';
import { Assets } from './assets.js';
import { checkToken, tokenCookie } from './auth.js';
import { StreamHistory } from './history.js';
import { HttpError, htmlResponse, jsonResponse, readJsonBody, writeResponse, type DashboardResponse, type HostRequest } from './http.js';
import { html } from './html.js';
import { empty, renderPage, section, type PageContext } from './pages/layout.js';
import { resolveDashboardOptions, type DashboardOptions, type ResolvedDashboardOptions } from './options.js';
import { PageRoutes } from './page-routes.js';

/** Header every write request must carry: a cross-site form or image cannot set it. */
export const WRITE_HEADER = 'x-redstream-dashboard';

const ACTION_ROUTES: Record<string, ActionName> = {
  'dead-letters/replay': 'replay',
  'dead-letters/purge': 'purge',
  'pending/ack': 'ack',
  'pending/claim': 'claim',
  trim: 'trim',
  'groups/pause': 'pause',
  'groups/resume': 'resume',
};

export class RedisStreamsDashboard {
  readonly options: ResolvedDashboardOptions;
  private readonly history: StreamHistory;
  private readonly assets = new Assets();
  private readonly pages: PageRoutes;
  private readonly context: PageContext;

  constructor(options: DashboardOptions) {
    this.options = resolveDashboardOptions(options);
    const { connection, keys, sampleIntervalMs, historyMs, basePath } = this.options;
    this.history = new StreamHistory(connection, keys, sampleIntervalMs, historyMs);
    this.context = { base: basePath === '/' ? '/' : `${basePath}/`, target: this.options.target, allowWrites: this.options.allowWrites };
    this.pages = new PageRoutes(connection, keys, this.context, this.history);
  }

  /** Serves a request under the base path; calls `next` (or answers 404) for any other path. */
  async handle(req: HostRequest, res: ServerResponse, next?: () => void): Promise<void> {
    const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://dashboard.invalid');
    const path = this.relativePath(url.pathname);
    if (path === undefined) {
      if (next) return next();
      return writeResponse(res, htmlResponse(404, 'not found'));
    }
    let response: DashboardResponse;
    try {
      response = await this.respond(req, path, url);
    } catch (error) {
      response = this.errorResponse(error, path);
    }
    writeResponse(res, response);
  }

  /** Stops sampling for the charts; the connection belongs to whoever created the dashboard. */
  close(): void {
    this.history.stop();
  }

  private async respond(req: HostRequest, path: string, url: URL): Promise<DashboardResponse> {
    if (!this.hostAllowed(req.headers.host)) {
      return jsonResponse(403, { error: `Host "${req.headers.host ?? ''}" is not one this dashboard answers to (it listens on localhost only; start it with --host to serve other names)` });
    }
    if (path === '') return { status: 308, headers: { location: `${this.context.base}${url.search}` }, body: '' };
    const token = checkToken(this.options.token, req.headers.authorization, req.headers.cookie, url.searchParams);
    if (!token.ok) return this.unauthorized(path);
    if (token.fromQuery) {
      url.searchParams.delete('token');
      // One leading slash only: `//host/` would be a redirect to another site.
      const location = `${url.pathname.replace(/^\/+/, '/')}${url.search}`;
      return { status: 303, headers: { location, 'set-cookie': tokenCookie(this.options.token!, this.context.base) }, body: '' };
    }
    const method = req.method ?? 'GET';
    const segments = path.split('/').slice(1).map(decodeSegment);

    if (segments[0] === 'assets' && segments.length === 2 && method === 'GET') {
      return (await this.assets.get(segments[1])) ?? htmlResponse(404, 'no such asset');
    }
    if (method === 'POST') {
      const action = segments[0] === 'api' && segments[1] === 'streams' ? ACTION_ROUTES[segments.slice(3).join('/')] : undefined;
      if (action === undefined || segments[2] === undefined) return jsonResponse(404, { error: `no write action at ${path}` });
      if (!this.options.allowWrites) return jsonResponse(403, { error: 'read-only dashboard: start it with --allow-writes (allowWrites: true) to replay, purge, claim, ack, trim, pause or resume' });
      if (req.headers[WRITE_HEADER] !== '1') return jsonResponse(403, { error: `write requests need the ${WRITE_HEADER}: 1 header (sent by the dashboard's own page)` });
      const body = await readJsonBody(req);
      return jsonResponse(200, await runAction(this.options.connection, this.options.keys, segments[2], action, body));
    }
    if (method !== 'GET' && method !== 'HEAD') return { ...jsonResponse(405, { error: `${method} is not allowed here` }), headers: { allow: 'GET, HEAD, POST' } };
    this.history.touch();
    return this.pages.get(segments, url.searchParams);
  }

  /**
   * With `allowedHosts`, only those names in the Host header: a web page whose own domain
   * was re-pointed at 127.0.0.1 (DNS rebinding) cannot read a localhost dashboard.
   */
  private hostAllowed(host: string | undefined): boolean {
    const allowed = this.options.allowedHosts;
    if (allowed === undefined) return true;
    if (host === undefined) return false;
    try {
      return allowed.includes(new URL(`http://${host}`).hostname.toLowerCase());
    } catch {
      return false;
    }
  }

  private relativePath(pathname: string): string | undefined {
    const base = this.options.basePath;
    if (base === '/') return pathname;
    if (pathname === base) return '';
    return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : undefined;
  }

  private unauthorized(path: string): DashboardResponse {
    const headers = { 'www-authenticate': 'Bearer realm="redstream dashboard"' };
    if (path.startsWith('/api/') || path.startsWith('/assets/')) return jsonResponse(401, { error: 'this dashboard needs its token (Authorization: Bearer <token>)' }, headers);
    const content = section('Token required', html`<p>This dashboard was started with <code>--token</code>. Open it once as <code>…?token=&lt;token&gt;</code>; the browser then keeps it in a cookie for this session.</p>`);
    return htmlResponse(401, renderPage({ ...this.context, allowWrites: false }, { title: 'Token required', crumbs: [], view: 'error', content }), headers);
  }

  private errorResponse(error: unknown, path: string): DashboardResponse {
    const status = error instanceof HttpError ? error.status : error instanceof UnknownStreamError || error instanceof UnknownGroupError ? 404 : error instanceof RedstreamError ? 400 : 500;
    const message = error instanceof Error ? error.message : String(error);
    if (path.startsWith('/api/')) return jsonResponse(status, { error: message, code: error instanceof RedstreamError ? error.code : undefined });
    const content = section(status === 404 ? 'Not found' : 'Something went wrong', empty(message));
    return htmlResponse(status, renderPage(this.context, { title: 'Error', crumbs: [{ label: 'Streams', href: this.context.base }], view: 'error', content }));
  }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `bad URL encoding in "${segment}"`);
  }
}
