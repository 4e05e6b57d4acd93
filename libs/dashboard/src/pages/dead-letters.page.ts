/** A stream's dead letters, filterable by reason and group, and one dead letter in full. */
import { DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterFilter } from '@redstream/core';
import { formatAge, formatCount, formatTime, prettyJson, truncate } from '../format.js';
import { html, type SafeHtml } from '../html.js';
import { empty, section, streamHref, withQuery, type Page, type PageContext } from './layout.js';

export interface DeadLettersView {
  stream: string;
  key: string;
  total: number;
  groups: string[];
  filter: DeadLetterFilter;
  after?: string;
  /** Page size when the URL chose one, kept in the pager links. */
  limit?: number;
  deadLetters: DeadLetter[];
  next?: string;
}

const ERROR_WIDTH = 90;

export function deadLettersPage(context: PageContext, view: DeadLettersView): Page {
  const { stream, filter } = view;
  const base = streamHref(context, stream, 'dead-letters');
  const filterForm = html`<form class="filters" method="get" action="${base}">
    <label>reason <select name="reason"><option value="">any</option>${DEAD_LETTER_REASONS.map((r) => html`<option${r === filter.reason ? html` selected` : ''}>${r}</option>`)}</select></label>
    <label>group <select name="group"><option value="">any</option>${view.groups.map((g) => html`<option${g === filter.group ? html` selected` : ''}>${g}</option>`)}</select></label>
    <button class="btn" type="submit">Filter</button>
    ${filter.reason || filter.group ? html`<a href="${base}">clear</a>` : ''}
  </form>`;
  const filterData = { 'data-reason': filter.reason ?? '', 'data-group': filter.group ?? '' };
  const actionButtons = context.allowWrites
    ? html`<div class="toolbar">
        <button class="btn" data-action="replay-selected" data-stream="${stream}">Replay selected…</button>
        <button class="btn btn-danger-outline" data-action="purge-selected" data-stream="${stream}">Purge selected…</button>
        <span class="spacer"></span>
        <button class="btn" data-action="replay-matching" data-stream="${stream}" data-reason="${filterData['data-reason']}" data-group="${filterData['data-group']}">${filter.reason || filter.group ? 'Replay all matching…' : 'Replay all…'}</button>
        <button class="btn btn-danger-outline" data-action="purge-matching" data-stream="${stream}" data-reason="${filterData['data-reason']}" data-group="${filterData['data-group']}">${filter.reason || filter.group ? 'Purge all matching…' : 'Purge all…'}</button>
      </div>`
    : '';
  const now = Date.now();
  const rows = view.deadLetters.map(
    (d) => html`<tr data-id="${d.id}">
      ${context.allowWrites ? html`<td class="check"><input type="checkbox" name="id" value="${d.id}" aria-label="select ${d.id}"></td>` : ''}
      <td class="mono"><a href="${streamHref(context, stream, 'dead-letters', d.id)}">${d.id}</a></td>
      <td class="mono">${d.originalId ? html`<a href="${streamHref(context, stream, 'messages', d.originalId)}">${d.originalId}</a>` : '-'}</td>
      <td data-col="group">${d.group ?? '-'}</td>
      <td data-col="reason"><span class="badge">${d.reason ?? '-'}</span></td>
      <td class="num" data-col="deliveries">${d.deliveries ?? '-'}</td>
      <td class="nowrap" title="${formatTime(d.failedAt)}">${formatAge(d.failedAt, now)}</td>
      <td class="error-text" data-col="error">${truncate(d.error ?? '', ERROR_WIDTH)}</td>
    </tr>`,
  );
  const table =
    view.deadLetters.length === 0
      ? empty(view.total === 0 ? 'No dead letters.' : view.after ? 'No more dead letters match.' : 'No dead letter matches the filter.')
      : html`${actionButtons}<table class="grid" id="dead-letters"><thead><tr>
          ${context.allowWrites ? html`<th class="check"><input type="checkbox" data-select-all aria-label="select all"></th>` : ''}
          <th>dead-letter id</th><th>original id</th><th>group</th><th>reason</th><th class="num">deliveries</th><th>failed</th><th>error</th>
        </tr></thead><tbody>${rows}</tbody></table>`;
  const pager = html`<div class="pager">
    ${view.after ? html`<a class="btn" href="${withQuery(base, { ...filter, limit: view.limit })}">« first</a>` : ''}
    ${view.next ? html`<a class="btn" rel="next" href="${withQuery(base, { ...filter, limit: view.limit, after: view.next })}">next »</a>` : ''}
  </div>`;
  return {
    title: `dead letters · ${stream}`,
    crumbs: [{ label: 'Streams', href: context.base }, { label: stream, href: streamHref(context, stream) }, { label: 'dead letters' }],
    view: 'dead-letters',
    content: html`<div class="page-head"><h1>Dead letters</h1><span class="muted mono">${view.key}</span></div>
      ${section(html`<span data-field="dead-letter-total">${formatCount(view.total)}</span> dead letters`, html`${filterForm}${table}${pager}`)}`,
  };
}

export function deadLetterPage(context: PageContext, stream: string, d: DeadLetter): Page {
  const actions = context.allowWrites
    ? html`<button class="btn" data-action="replay-one" data-stream="${stream}" data-id="${d.id}">Replay…</button>
       <button class="btn btn-danger-outline" data-action="purge-one" data-stream="${stream}" data-id="${d.id}">Purge…</button>`
    : '';
  const details = record([
    ['dead-letter id', html`<span class="mono">${d.id}</span>`],
    ['original entry', d.originalId ? html`<a class="mono" href="${streamHref(context, stream, 'messages', d.originalId)}">${d.originalId}</a>` : '-'],
    ['message id', html`<span class="mono">${d.messageId ?? '-'}</span>`],
    ['group', d.group ?? '-'],
    ['consumer', d.consumer ?? '-'],
    ['reason', html`<span class="badge">${d.reason ?? '-'}</span>`],
    ['deliveries', d.deliveries ?? '-'],
    ['failed at', `${formatTime(d.failedAt)} (${formatAge(d.failedAt)})`],
    ['error', html`<span class="error-text" data-field="error">${d.error ?? '-'}</span>`],
  ]);
  return {
    title: `dead letter ${d.id}`,
    crumbs: [
      { label: 'Streams', href: context.base },
      { label: stream, href: streamHref(context, stream) },
      { label: 'dead letters', href: streamHref(context, stream, 'dead-letters') },
      { label: d.id },
    ],
    view: 'dead-letter',
    content: html`<div class="page-head"><h1>Dead letter <span class="mono">${d.id}</span></h1><span class="spacer"></span>${actions}</div>
      ${section('Failure', details)}
      ${section('Stack', d.stack ? html`<pre class="code" data-field="stack">${d.stack}</pre>` : empty('No stack recorded.'))}
      ${section('Original fields (what replay re-publishes)', fieldsTable(d.fields))}`,
  };
}

export function record(rows: readonly [string, SafeHtml | string | number][]): SafeHtml {
  return html`<dl class="record">${rows.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
}

export function fieldsTable(fields: Record<string, string>): SafeHtml {
  const names = Object.keys(fields);
  if (names.length === 0) return empty('No fields.');
  return html`<table class="grid fields"><thead><tr><th>field</th><th>value</th></tr></thead><tbody>${names.map(
    (name) => html`<tr data-field-name="${name}"><td class="mono">${name}</td><td><pre class="code">${prettyJson(fields[name])}</pre></td></tr>`,
  )}</tbody></table>`;
}
