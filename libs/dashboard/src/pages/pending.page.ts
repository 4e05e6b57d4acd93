/** A group's pending entries (XPENDING), paginated by entry id so a PEL of millions pages in O(log n). */
import type { LevelPending, PendingEntry, PendingSummary, PriorityLevel } from '@redstream/core';
import { formatCount, formatDuration, truncate } from '../format.js';
import { html } from '../html.js';
import { empty, section, streamHref, withQuery, type Page, type PageContext } from './layout.js';

export interface PendingView {
  stream: string;
  groups: string[];
  summary: PendingSummary;
  consumer?: string;
  after?: string;
  /** Page size when the URL chose one, kept in the pager links. */
  limit?: number;
  entries: PendingEntry[];
  /** Payload per entry id; null when the entry is no longer in the stream. */
  payloads: Map<string, Record<string, string> | null>;
  next?: string;
  /** The level whose stream is listed (`normal`: the stream itself). */
  priority: PriorityLevel;
  /** The group's pending count per level; empty when the stream has no other levels. */
  levels: LevelPending[];
}

const PREVIEW_WIDTH = 120;

export function pendingPage(context: PageContext, view: PendingView): Page {
  const { stream, summary } = view;
  const base = streamHref(context, stream, 'pending');
  // The level stays in every link (left out for normal, the stream itself, so plain streams keep their URLs).
  const priority = view.priority === 'normal' ? undefined : view.priority;
  const messageHref = (id: string) => withQuery(streamHref(context, stream, 'messages', id), { priority });
  const groupTabs = html`<nav class="tabs">${view.groups.map(
    (g) => html`<a class="${g === summary.group ? 'tab active' : 'tab'}" href="${withQuery(base, { group: g, priority })}">${g}</a>`,
  )}</nav>`;
  const total = view.levels.reduce((sum, level) => sum + level.count, 0);
  const levelChips =
    view.levels.length === 0
      ? ''
      : html`<div class="chips" id="priority-levels"><span class="muted">${formatCount(total)} pending over the priority levels:</span>${view.levels.map(
          (level) => html`<a class="${level.priority === view.priority ? 'chip active' : 'chip'}" data-priority="${level.priority}" href="${withQuery(base, { group: summary.group, priority: level.priority === 'normal' ? undefined : level.priority })}">${level.priority} <b>${formatCount(level.count)}</b></a>`,
        )}</div>`;
  const range = summary.count > 0 ? html` · oldest <a class="mono" href="${messageHref(summary.minId!)}">${summary.minId}</a> · newest <a class="mono" href="${messageHref(summary.maxId!)}">${summary.maxId}</a>` : '';
  const perConsumer = html`<div class="chips"><a class="${view.consumer === undefined ? 'chip active' : 'chip'}" href="${withQuery(base, { group: summary.group, priority })}">all consumers <b>${formatCount(summary.count)}</b></a>${summary.consumers.map(
    (c) => html`<a class="${view.consumer === c.name ? 'chip active' : 'chip'}" href="${withQuery(base, { group: summary.group, consumer: c.name, priority })}">${c.name} <b>${formatCount(c.pending)}</b></a>`,
  )}</div>`;
  const writeBar = context.allowWrites
    ? html`<div class="toolbar" data-selection-bar>
        <button class="btn" data-action="ack" data-stream="${stream}" data-group="${summary.group}" data-priority="${view.priority}">Acknowledge selected…</button>
        <label class="inline">to consumer <input type="text" id="claim-to" placeholder="consumer name" autocomplete="off"></label>
        <button class="btn" data-action="claim" data-stream="${stream}" data-group="${summary.group}" data-priority="${view.priority}">Claim selected…</button>
      </div>`
    : '';
  const rows = view.entries.map((e) => {
    const fields = view.payloads.get(e.id);
    const preview = fields === null ? html`<span class="muted">(no longer in the stream)</span>` : truncate(fields?.data ?? JSON.stringify(fields ?? {}), PREVIEW_WIDTH);
    return html`<tr data-id="${e.id}">
      ${context.allowWrites ? html`<td class="check"><input type="checkbox" name="id" value="${e.id}" aria-label="select ${e.id}"></td>` : ''}
      <td class="mono"><a href="${messageHref(e.id)}">${e.id}</a></td>
      <td data-col="consumer">${e.consumer}</td>
      <td class="num" data-col="idle">${formatDuration(e.idleMs)}</td>
      <td class="num" data-col="deliveries">${e.deliveries > 1 ? html`<span class="warn">${e.deliveries}</span>` : e.deliveries}</td>
      <td class="preview mono" data-col="payload">${preview}</td>
    </tr>`;
  });
  const table =
    view.entries.length === 0
      ? empty(view.after ? 'No more pending entries.' : 'Nothing pending: every entry delivered to this group has been acknowledged.')
      : html`${writeBar}<table class="grid" id="pending"><thead><tr>
          ${context.allowWrites ? html`<th class="check"><input type="checkbox" data-select-all aria-label="select all"></th>` : ''}
          <th>entry id</th><th>consumer</th><th class="num">idle</th><th class="num">deliveries</th><th>payload</th>
        </tr></thead><tbody>${rows}</tbody></table>`;
  const pager = html`<div class="pager">
    ${view.after ? html`<a class="btn" href="${withQuery(base, { group: summary.group, consumer: view.consumer, limit: view.limit, priority })}">« first</a>` : ''}
    ${view.next ? html`<a class="btn" rel="next" href="${withQuery(base, { group: summary.group, consumer: view.consumer, limit: view.limit, priority, after: view.next })}">next »</a>` : ''}
  </div>`;
  return {
    title: `pending · ${stream}`,
    crumbs: [{ label: 'Streams', href: context.base }, { label: stream, href: streamHref(context, stream) }, { label: `pending · ${summary.group}` }],
    view: 'pending',
    content: html`<div class="page-head"><h1>Pending entries</h1>${groupTabs}</div>
      ${section(html`<span data-field="pending-count">${formatCount(summary.count)}</span> pending in group ${summary.group}${view.levels.length > 0 ? ` on ${view.priority}` : ''}${range}`, html`${levelChips}${perConsumer}${table}${pager}`)}`,
  };
}
