/** One stream: its groups and consumers (live), charts of throughput, pending and lag. */
import type { StreamOverview } from '@redstream/core';
import { formatCount, formatDuration } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { empty, section, stat, streamHref, withQuery, type Page, type PageContext } from './layout.js';

export function streamPage(context: PageContext, s: StreamOverview): Page {
  const actions = context.allowWrites
    ? html`<button class="btn" data-action="trim" data-stream="${s.stream}">Trim safely…</button>`
    : '';
  const charts = section(
    'Last minutes',
    html`<div class="charts">
      <figure><figcaption>Throughput (entries/s)</figcaption><div class="chart" data-chart="throughput"></div></figure>
      <figure><figcaption>Pending per group</figcaption><div class="chart" data-chart="pending"></div></figure>
      <figure><figcaption>Lag per group</figcaption><div class="chart" data-chart="lag"></div></figure>
    </div><p class="muted small" id="chart-since"></p>`,
  );
  return {
    title: s.stream,
    crumbs: [{ label: 'Streams', href: context.base }, { label: s.stream }],
    view: 'stream',
    data: { live: '', stream: s.stream, history: `${context.base}api/streams/${encodeURIComponent(s.stream)}/history` },
    content: html`<div class="page-head"><h1>${s.stream}</h1><span class="muted mono">${s.key}</span><span class="spacer"></span>${actions}</div>
      <div id="live">${streamLive(context, s)}</div>${charts}`,
  };
}

export function streamLive(context: PageContext, s: StreamOverview): SafeHtml {
  const stats = html`<div class="stats">
    ${stat('length', formatCount(s.length), 'length')}
    ${stat('groups', formatCount(s.groups.length), 'groups')}
    ${stat('dead letters', formatCount(s.deadLetters), 'dead-letters', streamHref(context, s.stream, 'dead-letters'))}
    ${stat('delayed', formatCount(s.delayed), 'delayed')}
  </div>`;
  if (!s.exists) return html`${stats}${section('Groups', empty(`${s.key} does not exist (yet): it is created by the first publish or consumer.`))}`;
  const groups =
    s.groups.length === 0
      ? empty('No consumer group reads this stream yet.')
      : html`<table class="grid" id="groups"><thead><tr>
          <th>group</th><th>state</th><th class="num">consumers</th><th class="num">pending</th><th class="num">lag</th><th>last delivered id</th><th class="num">entries read</th><th></th>
        </tr></thead><tbody>${s.groups.map(
          (g) => html`<tr data-group="${g.name}">
            <td>${g.name}</td>
            <td data-col="state">${g.paused ? html`<span class="badge badge-paused">paused</span>` : 'running'}${pauseButton(context, s.stream, g.name, g.paused)}</td>
            <td class="num" data-col="consumers">${formatCount(g.consumers)}</td>
            <td class="num" data-col="pending">${formatCount(g.pending)}</td>
            <td class="num" data-col="lag">${formatCount(g.lag)}</td>
            <td class="mono">${g.lastDeliveredId}</td>
            <td class="num">${formatCount(g.entriesRead)}</td>
            <td class="links"><a href="${withQuery(streamHref(context, s.stream, 'pending'), { group: g.name })}">pending entries</a> · <a href="${withQuery(streamHref(context, s.stream, 'dead-letters'), { group: g.name })}">dead letters</a></td>
          </tr>`,
        )}</tbody></table>`;
  const consumerRows = s.groups.flatMap((g) =>
    (s.consumers[g.name] ?? []).map(
      (c) => html`<tr data-group="${g.name}" data-consumer="${c.name}">
        <td>${g.name}</td><td>${c.name}</td>
        <td class="num" data-col="pending"><a href="${withQuery(streamHref(context, s.stream, 'pending'), { group: g.name, consumer: c.name })}">${formatCount(c.pending)}</a></td>
        <td class="num${c.idleMs > 60_000 ? ' warn' : ''}" data-col="idle">${formatDuration(c.idleMs)}</td>
      </tr>`,
    ),
  );
  const consumers =
    consumerRows.length === 0
      ? empty('No consumers.')
      : html`<table class="grid" id="consumers"><thead><tr><th>group</th><th>consumer</th><th class="num">pending</th><th class="num" title="since the consumer last read or claimed">idle</th></tr></thead><tbody>${consumerRows}</tbody></table>`;
  return html`${stats}${section('Groups', groups)}${section('Consumers', consumers)}`;
}

/** Pause or resume one group (with --allow-writes): workers stop taking new entries within a second. */
function pauseButton(context: PageContext, stream: string, group: string, paused: boolean): SafeHtml | string {
  if (!context.allowWrites) return '';
  const action = paused ? 'resume' : 'pause';
  return html` <button class="btn btn-small" data-action="${action}" data-stream="${stream}" data-group="${group}">${paused ? 'Resume…' : 'Pause…'}</button>`;
}
