/** GET routes: the pages (with `?fragment=live` for the part the client refreshes) and the JSON reads. */
import {
  DEAD_LETTER_REASONS,
  readDeadLetter,
  readDeadLetterPage,
  readEntriesById,
  readGroups,
  readLevelPending,
  readMessage,
  readOverview,
  readPendingEntries,
  readPendingSummary,
  readStreamOverview,
  type KeyBuilder,
  type RedisConnection,
} from '@redstream/core';
import { StreamHistory } from './history.js';
import { HttpError, htmlResponse, jsonResponse, priorityParam, type DashboardResponse } from './http.js';
import { deadLetterPage, deadLettersPage } from './pages/dead-letters.page.js';
import { empty, renderPage, section, streamHref, type Page, type PageContext } from './pages/layout.js';
import { messagePage } from './pages/message.page.js';
import { overviewLive, overviewPage } from './pages/overview.page.js';
import { pendingPage } from './pages/pending.page.js';
import { streamLive, streamPage } from './pages/stream.page.js';

const ENTRY_ID = /^\d+(-\d+)?$/;
const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

export class PageRoutes {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: KeyBuilder,
    private readonly context: PageContext,
    private readonly history: StreamHistory,
  ) {}

  async get(segments: string[], query: URLSearchParams): Promise<DashboardResponse> {
    const parts = segments.filter((s, i) => s !== '' || i < segments.length - 1);
    const live = query.get('fragment') === 'live';
    const [area, stream, sub, id] = parts;
    if (parts.length === 0) {
      const streams = await readOverview(this.connection, this.keys);
      return live ? htmlResponse(200, overviewLive(this.context, streams, this.keys.registry).value) : this.page(overviewPage(this.context, streams, this.keys.registry));
    }
    if (area === 'api') return this.api(parts.slice(1));
    if (area !== 'streams' || stream === undefined || parts.length > 4) throw new HttpError(404, `no page at /${parts.join('/')}`);
    if (sub === undefined) {
      const overview = await readStreamOverview(this.connection, this.keys, stream);
      return live ? htmlResponse(200, streamLive(this.context, overview).value) : this.page(streamPage(this.context, overview));
    }
    if (sub === 'pending' && id === undefined) return this.pending(stream, query);
    if (sub === 'dead-letters' && id === undefined) return this.deadLetters(stream, query);
    if (sub === 'dead-letters') {
      const deadLetter = await readDeadLetter(this.connection, this.keys, stream, entryId(id, 'dead-letter id'));
      if (!deadLetter) throw new HttpError(404, `dead letter ${id} is not in ${this.keys.forStream(stream).deadLetter} (replayed or purged?)`);
      return this.page(deadLetterPage(this.context, stream, deadLetter));
    }
    if (sub === 'messages' && id !== undefined) {
      const message = await readMessage(this.connection, this.keys, stream, entryId(id, 'entry id'), priorityParam(query.get('priority')));
      return this.page(messagePage(this.context, message));
    }
    throw new HttpError(404, `no page at /${parts.join('/')}`);
  }

  private async api(parts: string[]): Promise<DashboardResponse> {
    const [area, stream, sub] = parts;
    if (area === 'overview' && parts.length === 1) return jsonResponse(200, { at: Date.now(), streams: await readOverview(this.connection, this.keys) });
    if (area === 'streams' && stream !== undefined && sub === undefined) return jsonResponse(200, await readStreamOverview(this.connection, this.keys, stream));
    if (area === 'streams' && stream !== undefined && sub === 'history' && parts.length === 3) return jsonResponse(200, this.history.series(stream));
    throw new HttpError(404, `no API at /api/${parts.join('/')}`);
  }

  private async pending(stream: string, query: URLSearchParams): Promise<DashboardResponse> {
    const groups = (await readGroups(this.connection, this.keys.stream(stream))) ?? [];
    const names = groups.map((g) => g.name);
    const requested = query.get('group') || undefined;
    const group = requested ?? names[0];
    if (group === undefined) {
      return this.page({
        title: `pending · ${stream}`,
        crumbs: [{ label: 'Streams', href: this.context.base }, { label: stream, href: streamHref(this.context, stream) }, { label: 'pending' }],
        view: 'pending',
        content: section('Pending entries', empty('The stream has no consumer group, so nothing is pending.')),
      });
    }
    const consumer = query.get('consumer') || undefined;
    const after = optionalEntryId(query.get('after'), 'after');
    const limit = pageSize(query.get('limit'));
    const chosenLimit = query.get('limit') ? limit : undefined;
    // A stream with priority levels lists one level's stream at a time (default normal, the stream itself).
    const priority = priorityParam(query.get('priority')) ?? 'normal';
    const [summary, rows, levels] = await Promise.all([
      readPendingSummary(this.connection, this.keys, stream, group, priority),
      readPendingEntries(this.connection, this.keys, stream, group, { consumer, after, limit: limit + 1, priority }),
      readLevelPending(this.connection, this.keys, stream, group),
    ]);
    const entries = rows.slice(0, limit);
    const payloads = await readEntriesById(this.connection, this.keys, stream, entries.map((e) => e.id), priority);
    const next = rows.length > limit ? entries[entries.length - 1].id : undefined;
    return this.page(pendingPage(this.context, { stream, groups: names, summary, consumer, after, limit: chosenLimit, entries, payloads, next, priority, levels }));
  }

  private async deadLetters(stream: string, query: URLSearchParams): Promise<DashboardResponse> {
    const reason = query.get('reason') || undefined;
    const group = query.get('group') || undefined;
    // Reasons this version does not write may still sit in an older dead-letter stream: any word is a valid filter.
    if (reason !== undefined && !/^[a-z-]{1,40}$/.test(reason)) {
      throw new HttpError(400, `reason "${reason}" is not a dead-letter reason such as ${DEAD_LETTER_REASONS.join(', ')}`);
    }
    const after = optionalEntryId(query.get('after'), 'after');
    const limit = pageSize(query.get('limit'));
    const key = this.keys.forStream(stream).deadLetter;
    const [total, groups, page] = await Promise.all([
      this.connection.send<number>(['XLEN', key]),
      readGroups(this.connection, this.keys.stream(stream)),
      readDeadLetterPage(this.connection, this.keys, stream, { filter: { reason, group }, after, limit }),
    ]);
    const groupNames = [...new Set([...(groups ?? []).map((g) => g.name), ...(group ? [group] : [])])];
    return this.page(deadLettersPage(this.context, { stream, key, total, groups: groupNames, filter: { reason, group }, after, limit: query.get('limit') ? limit : undefined, ...page }));
  }

  private page(page: Page): DashboardResponse {
    return htmlResponse(200, renderPage(this.context, page));
  }
}

function entryId(text: string, what: string): string {
  if (!ENTRY_ID.test(text)) throw new HttpError(400, `${what} "${text}" is not an entry id like 1700000000000-0`);
  return text;
}

function optionalEntryId(text: string | null, what: string): string | undefined {
  return text === null || text === '' ? undefined : entryId(text, what);
}

function pageSize(text: string | null): number {
  if (text === null || text === '') return PAGE_SIZE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new HttpError(400, `limit "${text}" must be an integer from 1 to ${MAX_PAGE_SIZE}`);
  return n;
}
