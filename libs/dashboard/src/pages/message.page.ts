/**
 * One stream entry, as far as Redis knows today: its fields, where each group stands with it,
 * its dead letters. Lifecycle status and progress join here once that feature exists.
 */
import type { MessageInfo } from '@redstream/core';
import { entryIdTime, formatAge, formatDuration, formatTime } from '../format.js';
import { html } from '../html.js';
import { fieldsTable, record } from './dead-letters.page.js';
import { empty, section, streamHref, withQuery, type Page, type PageContext } from './layout.js';

const POSITION_LABELS = {
  pending: 'pending (delivered, not yet acknowledged)',
  past: 'handled (acknowledged or dead-lettered)',
  'not-delivered': 'not yet delivered',
} as const;

export function messagePage(context: PageContext, m: MessageInfo): Page {
  const published = entryIdTime(m.entryId);
  const overview = record([
    ['entry id', html`<span class="mono">${m.entryId}</span>`],
    ['added', `${formatTime(published)} (${formatAge(published)})`],
    ['message id', html`<span class="mono">${m.fields?.id ?? '-'}</span>`],
    ['priority', html`<span data-field="priority">${m.priority}</span>${m.priority === 'normal' ? '' : html` <span class="muted mono">(${m.key})</span>`}`],
    ['in the stream', m.fields === null ? 'no (trimmed, deleted, or never written)' : 'yes'],
  ]);
  // Each level's stream has its own ids: another level may hold a different entry with this id.
  const sameIdElsewhere =
    m.alsoOn.length === 0
      ? ''
      : html`<p class="notice" id="also-on">Another message has this id on ${m.alsoOn.map(
          (level, i) => html`${i > 0 ? ', ' : ''}<a data-level="${level}" href="${withQuery(streamHref(context, m.stream, 'messages', m.entryId), { priority: level })}">${level}</a>`,
        )} (each priority level has its own ids); this page shows the one on ${m.priority}.</p>`;
  const groups =
    m.groups.length === 0
      ? empty('The stream has no consumer group.')
      : html`<table class="grid" id="message-groups"><thead><tr><th>group</th><th>state in Redis</th><th>consumer</th><th class="num">idle</th><th class="num">deliveries</th></tr></thead><tbody>${m.groups.map(
          (g) => html`<tr data-group="${g.group}">
            <td>${g.group}</td><td data-col="position">${POSITION_LABELS[g.position]}</td>
            <td>${g.pending?.consumer ?? '-'}</td>
            <td class="num">${g.pending ? formatDuration(g.pending.idleMs) : '-'}</td>
            <td class="num">${g.pending?.deliveries ?? '-'}</td>
          </tr>`,
        )}</tbody></table>`;
  const deadLetters =
    m.deadLetters.length === 0
      ? empty('No dead letter of this entry.')
      : html`<table class="grid"><thead><tr><th>dead-letter id</th><th>group</th><th>reason</th><th>error</th></tr></thead><tbody>${m.deadLetters.map(
          (d) => html`<tr><td class="mono"><a href="${streamHref(context, m.stream, 'dead-letters', d.id)}">${d.id}</a></td><td>${d.group ?? '-'}</td><td><span class="badge">${d.reason ?? '-'}</span></td><td class="error-text">${d.error ?? '-'}</td></tr>`,
        )}</tbody></table>`;
  return {
    title: `message ${m.entryId}`,
    crumbs: [{ label: 'Streams', href: context.base }, { label: m.stream, href: streamHref(context, m.stream) }, { label: `message ${m.entryId}` }],
    view: 'message',
    content: html`<div class="page-head"><h1>Message <span class="mono">${m.entryId}</span></h1></div>
      ${sameIdElsewhere}
      ${section('Entry', overview)}
      ${section('Groups', groups)}
      ${section('Dead letters', deadLetters)}
      ${m.fields ? section('Fields', fieldsTable(m.fields)) : ''}`,
  };
}
