/**
 * The dashboard on a stream with priority levels, in headless Chromium: the pending page counts
 * the group's pending entries on every level (what XPENDING says of each level's stream), lists
 * one level at a time, links each entry to its message page on that level, and acks on the
 * level it lists; a message page finds an entry on whichever level it is, and says when another
 * level holds a different message with the same id.
 */
import { entryTimestamp, StreamProducer } from '@redstream/core';
import type { Page } from 'playwright-core';
import { useBrowser } from '../support/browser.js';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

type PendingRow = [string, string, number, number];

const STREAM = 'dash.levels';
const LEVEL_KEYS = { high: `rs:{${STREAM}}:high`, normal: `rs:{${STREAM}}`, low: `rs:{${STREAM}}:low` } as const;
const number = (text: string | null) => Number((text ?? '').replace(/,/g, '').trim());

describe('redstream dashboard with priority levels', () => {
  const env = usePrivateRedis();
  const browser = useBrowser();
  let dashboard: RunningDashboard;
  let page: Page;

  const pendingOn = async (level: keyof typeof LEVEL_KEYS) => (await env.client.sendCommand(['XPENDING', LEVEL_KEYS[level], 'g', '-', '+', '100'])) as PendingRow[];

  beforeAll(async () => {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    for (const [level, count] of [['high', 4], ['normal', 3], ['low', 5]] as const) {
      const published = await producer.publishMany(STREAM, Array.from({ length: count }, (_, i) => ({ data: { level, i }, options: { priority: level } })));
      // Each level is its own stream with its own ids: entries of two levels added in the same
      // millisecond can share an id, and a message page without a level shows the first level
      // holding it. The next level starts in a later millisecond, so every id names one entry.
      const lastMs = entryTimestamp(published[published.length - 1].entryId);
      await waitFor(() => Date.now() > lastMs, { what: `the clock past ${level}'s last id` });
    }
    await producer.close();
    // Delivered, never acked: 3 on high and 2 on low to c1, 1 on normal to c2.
    for (const [level, consumer, count] of [['high', 'c1', 3], ['low', 'c1', 2], ['normal', 'c2', 1]] as const) {
      await env.client.sendCommand(['XGROUP', 'CREATE', LEVEL_KEYS[level], 'g', '0']);
      await env.client.sendCommand(['XREADGROUP', 'GROUP', 'g', consumer, 'COUNT', String(count), 'STREAMS', LEVEL_KEYS[level], '>']);
    }
    dashboard = await startDashboard(env.redis.url, ['--allow-writes']);
    page = await browser.context.newPage();
  });

  afterAll(async () => {
    await dashboard?.stop();
  });

  it('counts pending entries per level as XPENDING does, lists one level, and links each entry to its message on that level', async () => {
    await page.goto(`${dashboard.url}streams/${STREAM}/pending?group=g`);
    for (const level of ['high', 'normal', 'low'] as const) {
      const chip = page.locator(`#priority-levels [data-priority="${level}"] b`);
      expect(number(await chip.textContent())).toBe((await pendingOn(level)).length);
    }
    // Without a level, the stream itself (normal) is listed.
    const listed = async () => page.locator('#pending tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id')));
    expect(await listed()).toEqual((await pendingOn('normal')).map(([id]) => id));

    await page.locator('#priority-levels [data-priority="high"]').click();
    await page.waitForURL(/priority=high/);
    const high = await pendingOn('high');
    expect(await listed()).toEqual(high.map(([id]) => id));
    expect(number(await page.locator('[data-field="pending-count"]').textContent())).toBe(3);

    await page.locator(`#pending tbody tr[data-id="${high[0][0]}"] a`).click();
    await page.waitForURL(/messages/);
    expect(await page.locator('[data-field="priority"]').textContent()).toBe('high');
    expect(await page.locator('#message-groups tr[data-group="g"] [data-col="position"]').textContent()).toContain('pending');
    const [[, fields]] = (await env.client.sendCommand(['XRANGE', LEVEL_KEYS.high, high[0][0], high[0][0]])) as [string, string[]][];
    // The entry's own fields, read from the high level's stream.
    const shown = JSON.parse(String(await page.locator('tr[data-field-name="data"] pre').textContent()));
    expect(shown).toEqual(JSON.parse(fields[fields.indexOf('data') + 1]));
    expect(shown).toEqual({ level: 'high', i: 0 });
  });

  it('finds a message on its level without being told the level, and refuses an unknown level naming it', async () => {
    const [[lowId]] = await pendingOn('low');
    await page.goto(`${dashboard.url}streams/${STREAM}/messages/${lowId}`);
    expect(await page.locator('[data-field="priority"]').textContent()).toBe('low');
    expect(await page.locator('#message-groups tr[data-group="g"] [data-col="position"]').textContent()).toContain('pending');

    const refused = await fetch(`${dashboard.url}streams/${STREAM}/pending?group=g&priority=urgent`);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('priority &quot;urgent&quot; is not a level');
  });

  it('says when another level holds a different message with the same id, and links to it', async () => {
    const low = (await env.client.sendCommand(['XRANGE', LEVEL_KEYS.low, '-', '+'])) as [string, string[]][];
    const [sharedId] = low[low.length - 1];
    // Written by hand on normal, whose ids are all older than low's last: the same id, another message.
    await env.client.sendCommand(['XADD', LEVEL_KEYS.normal, sharedId, 'data', JSON.stringify({ level: 'normal', shared: true }), 'id', 'shared', 'ts', '1']);
    const data = async () => JSON.parse(String(await page.locator('tr[data-field-name="data"] pre').textContent()));

    await page.goto(`${dashboard.url}streams/${STREAM}/messages/${sharedId}`);
    expect(await page.locator('[data-field="priority"]').textContent()).toBe('normal');
    expect(await data()).toEqual({ level: 'normal', shared: true });
    expect(await page.locator('#also-on').textContent()).toContain('Another message has this id on low');

    await page.locator('#also-on a[data-level="low"]').click();
    await page.waitForURL(/priority=low/);
    expect(await page.locator('[data-field="priority"]').textContent()).toBe('low');
    expect(await data()).toEqual({ level: 'low', i: 4 });
    // A level named: that level's message alone, nothing said of the others.
    expect(await page.locator('#also-on').count()).toBe(0);
  });

  it('acknowledges the selected entries on the level it lists, and only there', async () => {
    await page.goto(`${dashboard.url}streams/${STREAM}/pending?group=g&priority=low`);
    await page.locator('[data-select-all]').check();
    await page.locator('[data-action="ack"]').click();
    await page.waitForSelector('#confirm[open]');
    expect(await page.locator('#confirm-text').textContent()).toContain('Acknowledge 2 pending entries in group g');
    // The page reloads once the ack is done.
    const reloaded = page.waitForEvent('load', { timeout: 30_000 });
    await page.locator('#confirm-ok').click();
    await reloaded;
    await waitFor(async () => (await pendingOn('low')).length === 0, { what: 'the ack on the low level' });
    expect(await pendingOn('high')).toHaveLength(3);
    expect(await pendingOn('normal')).toHaveLength(1);
  });
});
