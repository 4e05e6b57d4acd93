/** Every registered stream with its groups: the numbers of `redstream streams`, live. */
import type { StreamOverview } from '@redstream/core';
import { formatCount } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { empty, section, stat, streamHref, withQuery, type Page, type PageContext } from './layout.js';

export function overviewPage(context: PageContext, streams: readonly StreamOverview[], registry: string): Page {
  return {
    title: 'Streams',
    crumbs: [{ label: 'Streams' }],
    view: 'overview',
    data: { live: '' },
    content: html`<div id="live">${overviewLive(context, streams, registry)}</div>`,
  };
}

/** The part of the page the client refreshes every second. */
export function overviewLive(context: PageContext, streams: readonly StreamOverview[], registry: string): SafeHtml {
  const totals = {
    pending: sum(streams.flatMap((s) => s.groups.map((g) => g.pending))),
    deadLetters: sum(streams.map((s) => s.deadLetters)),
    delayed: sum(streams.map((s) => s.delayed)),
  };
  const stats = html`<div class="stats">
    ${stat('streams', formatCount(streams.length), 'streams')}
    ${stat('pending', formatCount(totals.pending), 'pending')}
    ${stat('dead letters', formatCount(totals.deadLetters), 'dead-letters')}
    ${stat('delayed', formatCount(totals.delayed), 'delayed')}
  </div>`;
  if (streams.length === 0) return html`${stats}${section('Streams', empty(`No streams registered under ${registry} yet: producers and consumers register theirs when they start.`))}`;
  const table = html`<table class="grid" id="streams">
    <thead><tr>
      <th>stream</th><th class="num">length</th><th class="num">groups</th><th class="num">consumers</th>
      <th class="num">pending</th><th class="num" title="entries not yet delivered; on the stream row, the largest of its groups">lag</th>
      <th class="num">dead letters</th><th class="num">delayed</th>
    </tr></thead>
    <tbody>${streams.map((s) => streamRows(context, s))}</tbody>
  </table>`;
  return html`${stats}${section('Streams', table)}`;
}

function streamRows(context: PageContext, s: StreamOverview): SafeHtml {
  const href = streamHref(context, s.stream);
  const lags = s.groups.map((g) => g.lag);
  const maxLag = lags.length === 0 || lags.includes(null) ? null : Math.max(...(lags as number[]));
  const streamRow = html`<tr class="stream-row" data-row="stream" data-stream="${s.stream}">
    <td><a href="${href}">${s.stream}</a>${s.exists ? '' : html` <span class="badge badge-muted" title="${s.key} does not exist">missing</span>`}</td>
    <td class="num" data-col="length">${formatCount(s.length)}</td>
    <td class="num" data-col="groups">${formatCount(s.groups.length)}</td>
    <td class="num" data-col="consumers">${formatCount(sum(s.groups.map((g) => g.consumers)))}</td>
    <td class="num" data-col="pending">${formatCount(sum(s.groups.map((g) => g.pending)))}</td>
    <td class="num" data-col="lag">${s.groups.length === 0 ? '-' : formatCount(maxLag)}</td>
    <td class="num" data-col="dead-letters">${s.deadLetters > 0 ? html`<a class="warn" href="${streamHref(context, s.stream, 'dead-letters')}">${formatCount(s.deadLetters)}</a>` : '0'}</td>
    <td class="num" data-col="delayed">${formatCount(s.delayed)}</td>
  </tr>`;
  const groupRows = s.groups.map(
    (g) => html`<tr class="group-row" data-row="group" data-stream="${s.stream}" data-group="${g.name}">
      <td class="indent"><span class="muted">group</span> ${g.name}${g.paused ? html` <span class="badge badge-paused" data-col="paused">paused</span>` : ''}</td>
      <td></td><td></td>
      <td class="num" data-col="consumers">${formatCount(g.consumers)}</td>
      <td class="num" data-col="pending"><a href="${withQuery(streamHref(context, s.stream, 'pending'), { group: g.name })}">${formatCount(g.pending)}</a></td>
      <td class="num" data-col="lag">${formatCount(g.lag)}</td>
      <td></td><td></td>
    </tr>`,
  );
  return html`${streamRow}${groupRows}`;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
