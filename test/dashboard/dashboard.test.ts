/**
 * `redstream dashboard` end to end in headless Chromium, against a redis-server holding real
 * pending entries (read by XREADGROUP, never acked) and real dead letters (written by a
 * consumer whose handler fails): the numbers are Redis' numbers, the pending page is XPENDING,
 * a replay from the page puts the message back once, read-only and token modes refuse, and a
 * payload's markup stays text.
 */
import { StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import type { Page } from 'playwright-core';
import { useBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { runCliJson } from '../support/cli.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

type Entry = [string, string[]];
type PendingRow = [string, string, number, number];

const ORDERS = 'dash.orders';
const PAYMENTS = 'dash.payments';
const SCRIPT_PAYLOAD = { note: '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">' };

const number = (text: string | null) => Number((text ?? '').replace(/,/g, '').trim());
/** The pause mark `redstream pause` writes (`rs:{stream}:paused:<group>`), read as an operator would. */
const isGroupPaused = async (client: { exists(key: string): Promise<number> }, stream: string, group: string) => (await client.exists(`rs:{${stream}}:paused:${group}`)) === 1;
const fieldsOf = (raw: string[]) => Object.fromEntries(Array.from({ length: raw.length / 2 }, (_, i) => [raw[2 * i], raw[2 * i + 1]]));

describe('redstream dashboard', () => {
  const env = usePrivateRedis();
  const browser = useBrowser();
  let readOnly: RunningDashboard;
  let page: Page;

  beforeAll(async () => {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publish(ORDERS, SCRIPT_PAYLOAD);
    await producer.publishMany(ORDERS, Array.from({ length: 29 }, (_, i) => ({ data: { order: i } })));
    await producer.publishMany(PAYMENTS, Array.from({ length: 6 }, (_, i) => ({ data: { payment: i } })));
    await producer.close();

    const key = `rs:{${ORDERS}}`;
    await env.client.sendCommand(['XGROUP', 'CREATE', key, 'billing', '0']);
    await env.client.sendCommand(['XGROUP', 'CREATE', key, 'audit', '0']);
    const read = (await env.client.sendCommand(['XREADGROUP', 'GROUP', 'billing', 'billing-1', 'COUNT', '10', 'STREAMS', key, '>'])) as [string, Entry[]][];
    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'billing', 'billing-2', 'COUNT', '5', 'STREAMS', key, '>']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'audit', 'audit-1', 'COUNT', '3', 'STREAMS', key, '>']);
    // Two acked from the middle, so the pending list is not simply the first entries.
    await env.client.sendCommand(['XACK', key, 'billing', read[0][1][3][0], read[0][1][4][0]]);

    const ledger = new StreamConsumer({ url: env.redis.url, group: 'ledger', logger: quietLogger, maxDeliveries: 1 }).subscribe(PAYMENTS, (message) => {
      const n = (message.data as { payment: number }).payment;
      if (n % 2 === 0) throw new UnrecoverableError(`payment ${n} rejected`);
      throw new Error(`ledger down for payment ${n}`);
    });
    await ledger.start();
    await waitFor(async () => (await env.client.xLen(`rs:{${PAYMENTS}}:dlq`)) === 6, { what: '6 dead letters' });
    await ledger.stop();

    readOnly = await startDashboard(env.redis.url);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await readOnly?.stop();
  });

  /**
   * Confirms the open dialog and waits for the page to load again: a finished action reloads
   * (or leaves) its page 900 ms later, which must not cut into the next navigation of the test.
   */
  async function confirmAndWaitForReload(): Promise<void> {
    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.locator('#confirm-ok').click();
    await reloaded;
  }

  /** The confirmation's text, once the dialog opened (after the dry run answered). */
  async function confirmation(): Promise<string> {
    await page.waitForSelector('#confirm[open]');
    return String(await page.locator('#confirm-text').textContent());
  }

  async function expectOverviewMatchesRedis(): Promise<void> {
    let totalPending = 0;
    let totalDeadLetters = 0;
    for (const stream of [ORDERS, PAYMENTS]) {
      const key = `rs:{${stream}}`;
      const row = page.locator(`tr[data-row="stream"][data-stream="${stream}"]`);
      const groups = (await env.client.sendCommand(['XINFO', 'GROUPS', key])) as unknown[][];
      const deadLetters = await env.client.xLen(`${key}:dlq`);
      expect(number(await row.locator('[data-col="length"]').textContent())).toBe(await env.client.xLen(key));
      expect(number(await row.locator('[data-col="groups"]').textContent())).toBe(groups.length);
      expect(number(await row.locator('[data-col="dead-letters"]').textContent())).toBe(deadLetters);
      expect(number(await row.locator('[data-col="delayed"]').textContent())).toBe(await env.client.zCard(`${key}:delayed`));
      let streamPending = 0;
      let streamConsumers = 0;
      for (const info of groups) {
        const group = Object.fromEntries(Array.from({ length: info.length / 2 }, (_, i) => [String(info[2 * i]), info[2 * i + 1]]));
        const [pending] = (await env.client.sendCommand(['XPENDING', key, String(group.name)])) as [number];
        const groupRow = page.locator(`tr[data-row="group"][data-stream="${stream}"][data-group="${String(group.name)}"]`);
        expect(number(await groupRow.locator('[data-col="pending"]').textContent())).toBe(pending);
        expect(number(await groupRow.locator('[data-col="consumers"]').textContent())).toBe(Number(group.consumers));
        expect(number(await groupRow.locator('[data-col="lag"]').textContent())).toBe(Number(group.lag));
        streamPending += pending;
        streamConsumers += Number(group.consumers);
      }
      expect(number(await row.locator('[data-col="pending"]').textContent())).toBe(streamPending);
      expect(number(await row.locator('[data-col="consumers"]').textContent())).toBe(streamConsumers);
      totalPending += streamPending;
      totalDeadLetters += deadLetters;
    }
    expect(number(await page.locator('[data-field="pending"]').textContent())).toBe(totalPending);
    expect(number(await page.locator('[data-field="dead-letters"]').textContent())).toBe(totalDeadLetters);
  }

  it('shows on the overview exactly what XLEN, XPENDING and XINFO GROUPS say, and follows changes live', async () => {
    const response = await page.goto(readOnly.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    // Sanity of the fixture: real pending entries in two groups and real dead letters.
    expect(number(await page.locator(`tr[data-group="billing"] [data-col="pending"]`).textContent())).toBe(13);
    await expectOverviewMatchesRedis();

    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'audit', 'audit-2', 'COUNT', '4', 'STREAMS', `rs:{${ORDERS}}`, '>']);
    await env.client.sendCommand(['XADD', `rs:{${ORDERS}}`, '*', 'data', '{}', 'id', 'live-1', 'ts', String(Date.now())]);
    const auditPending = page.locator(`tr[data-group="audit"] [data-col="pending"]`);
    await waitFor(async () => number(await auditPending.textContent()) === 7, { timeoutMs: 5_000, what: 'the overview to refresh' });
    await expectOverviewMatchesRedis();
  });

  it('lists on the pending page what XPENDING lists, page by page', async () => {
    const expected = ((await env.client.sendCommand(['XPENDING', `rs:{${ORDERS}}`, 'billing', '-', '+', '100'])) as PendingRow[]).map(([id, consumer, , deliveries]) => ({
      id,
      consumer,
      deliveries: Number(deliveries),
    }));
    expect(expected).toHaveLength(13);
    const shown: typeof expected = [];
    let next: string | null = `${readOnly.url}streams/${ORDERS}/pending?group=billing&limit=5`;
    while (next) {
      await page.goto(next);
      for (const row of await page.locator('#pending tbody tr').all()) {
        shown.push({
          id: String(await row.getAttribute('data-id')),
          consumer: String(await row.locator('[data-col="consumer"]').textContent()),
          deliveries: number(await row.locator('[data-col="deliveries"]').textContent()),
        });
      }
      expect(await page.locator('#pending tbody tr').count()).toBeLessThanOrEqual(5);
      const link = page.locator('a[rel="next"]');
      next = (await link.count()) > 0 ? new URL(String(await link.getAttribute('href')), readOnly.url).href : null;
    }
    expect(shown).toEqual(expected);
    expect(number(await page.locator('[data-field="pending-count"]').textContent())).toBe(13);
  });

  it('shows a payload holding <script> as text and never runs it', async () => {
    const [[firstId]] = (await env.client.sendCommand(['XRANGE', `rs:{${ORDERS}}`, '-', '+', 'COUNT', '1'])) as Entry[];
    await page.goto(`${readOnly.url}streams/${ORDERS}/pending?group=billing`);
    await expect(page.locator(`tr[data-id="${firstId}"] [data-col="payload"]`).textContent()).resolves.toContain('<script>window.__pwned = 1</script>');
    await page.goto(`${readOnly.url}streams/${ORDERS}/messages/${firstId}`);
    await expect(page.locator('[data-field-name="data"] pre').textContent()).resolves.toContain('<script>window.__pwned = 1</script>');
    expect(await page.locator('main script, main img').count()).toBe(0);
    // What the payload's script or onerror handler would set, had either run.
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    await expect(page.locator('tr[data-group="billing"] [data-col="position"]').textContent()).resolves.toContain('pending');
  });

  it('has no write buttons in read-only mode and refuses write requests with 403', async () => {
    await page.goto(`${readOnly.url}streams/${PAYMENTS}/dead-letters?limit=4`);
    expect(await page.locator('#dead-letters tbody tr').count()).toBe(4);
    await page.locator('a[rel="next"]').click();
    await page.waitForURL(/after=/);
    expect(await page.locator('#dead-letters tbody tr').count()).toBe(2);
    expect(await page.locator('a[rel="next"]').count()).toBe(0);
    await page.goto(`${readOnly.url}streams/${PAYMENTS}/dead-letters`);
    expect(await page.locator('#dead-letters tbody tr').count()).toBe(6);
    expect(await page.locator('[data-action]').count()).toBe(0);
    expect(await page.locator('input[name="id"]').count()).toBe(0);
    const [[deadLetterId]] = (await env.client.sendCommand(['XRANGE', `rs:{${PAYMENTS}}:dlq`, '-', '+', 'COUNT', '1'])) as Entry[];
    await page.goto(`${readOnly.url}streams/${PAYMENTS}/dead-letters/${deadLetterId}`);
    expect(await page.locator('[data-action]').count()).toBe(0);
    await page.goto(`${readOnly.url}streams/${ORDERS}/pending?group=billing`);
    expect(await page.locator('[data-action]').count()).toBe(0);

    const post = (path: string, body: unknown) =>
      fetch(`${readOnly.url}api/streams/${PAYMENTS}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-redstream-dashboard': '1' }, body: JSON.stringify(body) });
    for (const [path, body] of [
      ['dead-letters/replay', { ids: [deadLetterId] }],
      ['dead-letters/purge', { filter: {}, expected: 6 }],
      ['pending/ack', { group: 'ledger', ids: ['1-0'] }],
      ['trim', {}],
      ['groups/pause', { group: 'ledger' }],
    ] as const) {
      const response = await post(path, body);
      expect(response.status).toBe(403);
      expect(((await response.json()) as { error: string }).error).toContain('--allow-writes');
    }
    expect(await env.client.xLen(`rs:{${PAYMENTS}}:dlq`)).toBe(6);
    expect(await env.client.xLen(`rs:{${PAYMENTS}}`)).toBe(6);
    expect(await isGroupPaused(env.client, PAYMENTS, 'ledger')).toBe(false);
  });

  it('draws the stream page charts from samples the dashboard takes while it is looked at', async () => {
    await page.goto(`${readOnly.url}streams/${ORDERS}`);
    await waitFor(async () => (await page.locator('.uplot').count()) === 3, { timeoutMs: 5_000, what: 'three uPlot charts' });
    const history = (await (await fetch(`${readOnly.url}api/streams/${ORDERS}/history`)).json()) as { at: number[]; groups: Record<string, { pending: number[] }> };
    expect(history.at.length).toBeGreaterThan(0);
    expect(Object.keys(history.groups).sort()).toEqual(['audit', 'billing']);
    expect(history.groups.billing.pending.at(-1)).toBe(13);
    expect(number(await page.locator('#groups tr[data-group="billing"] [data-col="pending"]').textContent())).toBe(13);
  });

  it('raises no script error and no Content-Security-Policy violation on any page', async () => {
    const problems: string[] = [];
    const watched = await browser.context.newPage();
    watched.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
    });
    watched.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    const [[deadLetterId]] = (await env.client.sendCommand(['XRANGE', `rs:{${PAYMENTS}}:dlq`, '-', '+', 'COUNT', '1'])) as Entry[];
    const [[entryId]] = (await env.client.sendCommand(['XRANGE', `rs:{${ORDERS}}`, '-', '+', 'COUNT', '1'])) as Entry[];
    for (const path of ['', `streams/${ORDERS}`, `streams/${ORDERS}/pending?group=billing`, `streams/${PAYMENTS}/dead-letters`, `streams/${PAYMENTS}/dead-letters/${deadLetterId}`, `streams/${ORDERS}/messages/${entryId}`]) {
      expect((await watched.goto(`${readOnly.url}${path}`))?.status()).toBe(200);
    }
    await watched.goto(`${readOnly.url}streams/${ORDERS}`);
    await waitFor(async () => (await watched.locator('.uplot').count()) === 3, { timeoutMs: 5_000, what: 'charts' });
    // One live refresh of the fragment as well.
    await waitFor(async () => String(await watched.locator('#live-status').textContent()).includes('live ·'), { timeoutMs: 5_000, what: 'a live refresh' });
    await watched.close();
    expect(problems).toEqual([]);
  });

  describe('with --allow-writes', () => {
    let writable: RunningDashboard;
    beforeAll(async () => {
      writable = await startDashboard(env.redis.url, ['--allow-writes']);
    });
    afterAll(async () => {
      await writable?.stop();
    });

    it('replays a dead letter from its page: back in the stream exactly once, gone from the dead letters', async () => {
      const dlqKey = `rs:{${PAYMENTS}}:dlq`;
      const [[deadLetterId, deadLetterFields]] = (await env.client.sendCommand(['XRANGE', dlqKey, '-', '+', 'COUNT', '1'])) as Entry[];
      const [[lastBefore]] = (await env.client.sendCommand(['XREVRANGE', `rs:{${PAYMENTS}}`, '+', '-', 'COUNT', '1'])) as Entry[];
      await page.goto(`${writable.url}streams/${PAYMENTS}/dead-letters/${deadLetterId}`);
      await page.locator('[data-action="replay-one"]').click();
      expect(await confirmation()).toContain('1 dead letter');
      await confirmAndWaitForReload();
      await page.waitForURL(`${writable.url}streams/${PAYMENTS}/dead-letters`);

      const replayed = (await env.client.sendCommand(['XRANGE', `rs:{${PAYMENTS}}`, `(${lastBefore}`, '+'])) as Entry[];
      expect(replayed).toHaveLength(1);
      const original = Object.fromEntries(Object.entries(fieldsOf(deadLetterFields)).filter(([name]) => !name.startsWith('dlq')));
      expect(fieldsOf(replayed[0][1])).toEqual(original);
      expect(await env.client.sendCommand(['XRANGE', dlqKey, deadLetterId, deadLetterId])).toEqual([]);
      expect(await env.client.xLen(dlqKey)).toBe(5);
      expect(await page.locator('#dead-letters tbody tr').count()).toBe(5);
      expect(await page.locator(`tr[data-id="${deadLetterId}"]`).count()).toBe(0);
    });

    it('says how many dead letters "replay all matching" touches before it runs, and runs on exactly those', async () => {
      const dlqKey = `rs:{${PAYMENTS}}:dlq`;
      const all = (await env.client.sendCommand(['XRANGE', dlqKey, '-', '+'])) as Entry[];
      const unrecoverable = all.filter(([, raw]) => fieldsOf(raw).dlqReason === 'unrecoverable');
      expect(unrecoverable.length).toBeGreaterThan(0);
      expect(unrecoverable.length).toBeLessThan(all.length);
      await page.goto(`${writable.url}streams/${PAYMENTS}/dead-letters?reason=unrecoverable`);
      expect(await page.locator('#dead-letters tbody tr').count()).toBe(unrecoverable.length);
      await page.locator('[data-action="replay-matching"]').click();
      expect(await confirmation()).toContain(`Re-publish ${unrecoverable.length} dead letter`);
      await confirmAndWaitForReload();
      await waitFor(async () => (await env.client.xLen(dlqKey)) === all.length - unrecoverable.length, { what: 'the matching dead letters to be replayed' });
      const left = (await env.client.sendCommand(['XRANGE', dlqKey, '-', '+'])) as Entry[];
      expect(left.every(([, raw]) => fieldsOf(raw).dlqReason !== 'unrecoverable')).toBe(true);
    });
  });

  describe('pending entries and retention with --allow-writes', () => {
    let writable: RunningDashboard;
    beforeAll(async () => {
      writable = await startDashboard(env.redis.url, ['--allow-writes']);
    });
    afterAll(async () => {
      await writable?.stop();
    });

    const pendingOf = async (group: string) => (await env.client.sendCommand(['XPENDING', `rs:{${ORDERS}}`, group, '-', '+', '100'])) as PendingRow[];

    it('claims the selected entries to another consumer and acknowledges them, each after a confirmation with the count', async () => {
      const before = (await pendingOf('audit')).filter(([, consumer]) => consumer === 'audit-2');
      expect(before).toHaveLength(4);
      await page.goto(`${writable.url}streams/${ORDERS}/pending?group=audit&consumer=audit-2`);
      const boxes = page.locator('#pending tbody input[name="id"]');
      await boxes.nth(0).check();
      await boxes.nth(2).check();
      await page.locator('#claim-to').fill('audit-rescue');
      await page.locator('[data-action="claim"]').click();
      expect(await confirmation()).toContain('Move 2 pending entries to consumer audit-rescue in group audit');
      await confirmAndWaitForReload();
      await waitFor(async () => (await pendingOf('audit')).filter(([, c]) => c === 'audit-rescue').length === 2, { what: 'the claim' });
      const rescued = (await pendingOf('audit')).filter(([, c]) => c === 'audit-rescue');
      expect(rescued.map(([id]) => id)).toEqual([before[0][0], before[2][0]]);
      // An operator's move is not a delivery (XCLAIM JUSTID).
      expect(rescued.map(([, , , deliveries]) => Number(deliveries))).toEqual([Number(before[0][3]), Number(before[2][3])]);

      await page.goto(`${writable.url}streams/${ORDERS}/pending?group=audit&consumer=audit-rescue`);
      await page.locator('[data-select-all]').check();
      await page.locator('[data-action="ack"]').click();
      expect(await confirmation()).toContain('Acknowledge 2 pending entries in group audit');
      await confirmAndWaitForReload();
      await waitFor(async () => (await pendingOf('audit')).length === 5, { what: 'the ack' });
      expect((await pendingOf('audit')).some(([, c]) => c === 'audit-rescue')).toBe(false);
    });

    it('trims safely by the count `redstream trim --safe --dry-run` gives, and nothing a group still needs', async () => {
      const key = `rs:{${PAYMENTS}}`;
      const cli = await runCliJson<{ trimmed: number; safeMinId: string }>(['--url', env.redis.url, 'trim', PAYMENTS, '--safe', '--dry-run']);
      expect(cli.trimmed).toBeGreaterThan(0);
      const length = await env.client.xLen(key);
      await page.goto(`${writable.url}streams/${PAYMENTS}`);
      await page.locator('[data-action="trim"]').click();
      expect(await confirmation()).toContain(`Remove ${cli.trimmed} entr`);
      await confirmAndWaitForReload();
      await waitFor(async () => (await env.client.xLen(key)) === length - cli.trimmed, { what: 'the trim' });
      const [[oldest]] = (await env.client.sendCommand(['XRANGE', key, '-', '+', 'COUNT', '1'])) as Entry[];
      expect(oldest).toBe(cli.safeMinId);
    });

    it('pauses a group from the stream page after a confirmation naming its consumers and waiting entries, and resumes it', async () => {
      await page.goto(`${writable.url}streams/${PAYMENTS}`);
      const row = page.locator('#groups tr[data-group="ledger"]');
      expect(await row.locator('[data-col="state"]').textContent()).toContain('running');
      await row.locator('[data-action="pause"]').click();
      expect(await confirmation()).toMatch(/Stop the \d+ consumers? of group ledger on dash\.payments taking new entries within a second/);
      await confirmAndWaitForReload();
      await waitFor(() => isGroupPaused(env.client, PAYMENTS, 'ledger'), { what: 'the pause in Redis' });
      await waitFor(async () => String(await page.locator('#groups tr[data-group="ledger"] [data-col="state"]').textContent()).includes('paused'), { what: 'paused shown' });
      await page.goto(writable.url);
      expect(await page.locator('tr[data-group="ledger"] [data-col="paused"]').count()).toBe(1);
      await page.goto(`${writable.url}streams/${PAYMENTS}`);
      await page.locator('#groups tr[data-group="ledger"] [data-action="resume"]').click();
      expect(await confirmation()).toContain('take entries again');
      await confirmAndWaitForReload();
      await waitFor(async () => !(await isGroupPaused(env.client, PAYMENTS, 'ledger')), { what: 'the resume in Redis' });
    });
  });

  describe('with --token', () => {
    const token = 'let-me-in-please';
    let guarded: RunningDashboard;
    beforeAll(async () => {
      guarded = await startDashboard(env.redis.url, ['--token', token, '--allow-writes']);
    });
    afterAll(async () => {
      await guarded?.stop();
    });

    it('refuses every request without the token (401) and serves it with the token', async () => {
      for (const path of ['', `streams/${ORDERS}`, 'api/overview', 'assets/dashboard.js']) {
        expect((await fetch(`${guarded.url}${path}`)).status).toBe(401);
        expect((await fetch(`${guarded.url}${path}`, { headers: { authorization: 'Bearer wrong-token-here' } })).status).toBe(401);
        expect((await fetch(`${guarded.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      }
      const write = await fetch(`${guarded.url}api/streams/${PAYMENTS}/trim`, { method: 'POST', headers: { 'x-redstream-dashboard': '1' }, body: '{"dryRun":true}' });
      expect(write.status).toBe(401);

      const fresh = await browser.context.browser()?.newContext();
      const guest = fresh ? await fresh.newPage() : await browser.context.newPage();
      await browser.context.clearCookies();
      expect((await guest.goto(guarded.url))?.status()).toBe(401);
      await guest.goto(`${guarded.url}?token=${token}`);
      // The token moves into an HttpOnly cookie and out of the address bar.
      expect(guest.url()).toBe(guarded.url);
      await guest.locator(`tr[data-stream="${ORDERS}"] a`).first().click();
      await expect(guest.locator('h1').textContent()).resolves.toBe(ORDERS);
      await guest.close();
      await fresh?.close();
    });
  });
});
