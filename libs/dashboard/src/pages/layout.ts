/** The page frame: header with the connection and mode, navigation crumbs, the content. */
import { html, type HtmlValue, type SafeHtml } from '../html.js';

export interface PageContext {
  /** Base path with a trailing slash, for links: `/redstream/`. */
  base: string;
  target: string;
  allowWrites: boolean;
}

export interface Crumb {
  label: string;
  href?: string;
}

export interface Page {
  title: string;
  crumbs: Crumb[];
  content: SafeHtml;
  /** Which client behaviour the page needs (see assets/dashboard.js). */
  view: 'overview' | 'stream' | 'pending' | 'dead-letters' | 'dead-letter' | 'message' | 'error';
  /** Extra data attributes for the client (stream name, live fragment URL). */
  data?: Record<string, string>;
}

export function renderPage(context: PageContext, page: Page): string {
  const data = Object.entries(page.data ?? {}).map(([name, value]) => html` data-${name}="${value}"`);
  const charts = page.view === 'stream';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · redstream</title>
<link rel="icon" href="${context.base}assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${context.base}assets/dashboard.css">
${charts ? html`<link rel="stylesheet" href="${context.base}assets/uPlot.min.css">` : ''}
</head>
<body data-view="${page.view}" data-base="${context.base}" data-writes="${String(context.allowWrites)}"${data}>
<header class="top">
  <a class="brand" href="${context.base}">redstream</a>
  <nav class="crumbs">${page.crumbs.map((c, i) => html`${i > 0 ? html`<span class="sep">/</span>` : ''}${c.href ? html`<a href="${c.href}">${c.label}</a>` : html`<span>${c.label}</span>`}`)}</nav>
  <span class="spacer"></span>
  <span class="target" title="Redis the dashboard reads">${context.target}</span>
  ${context.allowWrites ? html`<span class="mode mode-write" title="started with --allow-writes">writes allowed</span>` : html`<span class="mode" title="start with --allow-writes to replay, purge, claim, ack and trim">read-only</span>`}
  <span class="live" id="live-status" aria-live="polite"></span>
</header>
<main>
${page.content}
</main>
<dialog id="confirm">
  <form method="dialog">
    <h2 id="confirm-title">Confirm</h2>
    <p id="confirm-text"></p>
    <div class="dialog-actions"><button value="cancel" class="btn">Cancel</button><button value="ok" class="btn btn-danger" id="confirm-ok">Confirm</button></div>
  </form>
</dialog>
<div id="toast" role="status" hidden></div>
${charts ? html`<script src="${context.base}assets/uPlot.iife.min.js"></script>` : ''}
<script src="${context.base}assets/dashboard.js"></script>
</body>
</html>
`.value;
}

export function section(title: HtmlValue, body: HtmlValue, actions?: HtmlValue): SafeHtml {
  return html`<section class="card"><div class="card-head"><h2>${title}</h2>${actions ? html`<div class="card-actions">${actions}</div>` : ''}</div>${body}</section>`;
}

export function stat(label: string, value: HtmlValue, field?: string, href?: string): SafeHtml {
  const inner = html`<span class="stat-value"${field ? html` data-field="${field}"` : ''}>${value}</span><span class="stat-label">${label}</span>`;
  return href ? html`<a class="stat" href="${href}">${inner}</a>` : html`<div class="stat">${inner}</div>`;
}

export function streamHref(context: PageContext, stream: string, ...rest: string[]): string {
  return `${context.base}streams/${[stream, ...rest].map(encodeURIComponent).join('/')}`;
}

export function withQuery(href: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text === '' ? href : `${href}?${text}`;
}

export function empty(text: string): SafeHtml {
  return html`<p class="empty">${text}</p>`;
}
