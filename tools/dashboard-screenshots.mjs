#!/usr/bin/env node
/**
 * Takes the README's dashboard screenshots from real pages: starts its own redis-server on a
 * free port, fills it through the built core (a producer, workers that leave entries pending,
 * a worker whose handler fails so real dead letters are written), serves the built CLI's
 * `redstream dashboard`, and photographs it with Debian's chromium through playwright-core.
 *
 *   npm run build && node tools/dashboard-screenshots.mjs     → docs/dashboard-*.png
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createClient } from 'redis';
import { StreamConsumer, StreamProducer, UnrecoverableError } from '../libs/core/dist/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function until(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dir = mkdtempSync(join(tmpdir(), 'redstream-shots-'));
const port = await freePort();
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
const url = `redis://127.0.0.1:${port}`;
const canConnect = () => new Promise((resolve) => {
  const socket = netConnect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});
await until(canConnect, 'redis-server');
const client = createClient({ url });
await client.connect();

let dashboard;
let browser;
try {
  const producer = await StreamProducer.connect({ url });
  const order = (i) => ({ data: { orderId: `ord-${1000 + i}`, customer: `c-${i % 17}`, total: Math.round(19.9 * (i % 9 + 1) * 100) / 100, currency: 'EUR' } });
  await producer.publishMany('orders.created', Array.from({ length: 1_240 }, (_, i) => order(i)));
  await producer.publishMany('payments.settled', Array.from({ length: 320 }, (_, i) => ({ data: { paymentId: `pay-${5000 + i}`, amount: 42 + i } })));
  await producer.publishMany('emails.send', Array.from({ length: 64 }, (_, i) => ({ data: { to: `user${i}@example.com`, template: 'receipt' } })));

  // billing: processed most of orders.created, 2 workers still hold some entries (crashed mid-way).
  for (const [group, start] of [['billing', '0'], ['audit', '0'], ['shipping', '0']]) await client.sendCommand(['XGROUP', 'CREATE', 'rs:{orders.created}', group, start]);
  await client.sendCommand(['XREADGROUP', 'GROUP', 'billing', 'billing-7f9c-1', 'COUNT', '1100', 'STREAMS', 'rs:{orders.created}', '>']);
  const acked = await client.sendCommand(['XRANGE', 'rs:{orders.created}', '-', '+', 'COUNT', '1060']);
  await client.sendCommand(['XACK', 'rs:{orders.created}', 'billing', ...acked.slice(0, 1060).map((e) => e[0])]);
  await client.sendCommand(['XREADGROUP', 'GROUP', 'billing', 'billing-7f9c-2', 'COUNT', '25', 'STREAMS', 'rs:{orders.created}', '>']);
  await client.sendCommand(['XREADGROUP', 'GROUP', 'audit', 'audit-1', 'COUNT', '1240', 'STREAMS', 'rs:{orders.created}', '>']);
  const auditAck = await client.sendCommand(['XRANGE', 'rs:{orders.created}', '-', '+']);
  await client.sendCommand(['XACK', 'rs:{orders.created}', 'audit', ...auditAck.slice(0, 1236).map((e) => e[0])]);
  await client.sendCommand(['XREADGROUP', 'GROUP', 'shipping', 'shipping-a', 'COUNT', '300', 'STREAMS', 'rs:{orders.created}', '>']);

  // ledger: a real worker whose handler rejects some payments, so real dead letters are written.
  let failed = 0;
  const ledger = new StreamConsumer({ url, group: 'ledger', consumer: 'ledger-5d2b', logger: quiet, maxDeliveries: 2, backoff: { delayMs: 10, maxDelayMs: 20, jitter: false } }).subscribe(
    'payments.settled',
    (message) => {
      const n = Number(message.data.paymentId.slice(4));
      if (n % 23 === 0) {
        failed += 1;
        throw new UnrecoverableError(`payment ${message.data.paymentId}: card issuer rejected the settlement (code 05)`);
      }
      if (n % 29 === 0) throw new Error(`ledger write timed out after 3000 ms for ${message.data.paymentId}`);
    },
  );
  await ledger.start();
  await until(async () => (await client.xLen('rs:{payments.settled}:dlq')) >= 25 && failed >= 14, 'dead letters');
  await until(async () => Number((await client.sendCommand(['XPENDING', 'rs:{payments.settled}', 'ledger']))[0]) === 0, 'ledger drained');
  await ledger.stop();

  // renders.requested: priority levels, entries pending on each level's stream for group render.
  for (const [level, count, held] of [['high', 40, 12], ['normal', 180, 30], ['low', 600, 8]]) {
    await producer.publishMany('renders.requested', Array.from({ length: count }, (_, i) => ({ data: { renderId: `r-${level}-${i}`, pages: 1 + (i % 12) }, options: { priority: level } })));
    const key = level === 'normal' ? 'rs:{renders.requested}' : `rs:{renders.requested}:${level}`;
    await client.sendCommand(['XGROUP', 'CREATE', key, 'render', '0']);
    await client.sendCommand(['XREADGROUP', 'GROUP', 'render', 'render-3c1a', 'COUNT', String(held), 'STREAMS', key, '>']);
  }
  await producer.close();

  dashboard = spawn(process.execPath, [join(root, 'apps/redstream-cli/dist/main.js'), '--url', url, 'dashboard', '--port', '0', '--allow-writes'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const address = await new Promise((resolve, reject) => {
    dashboard.stdout.on('data', (chunk) => {
      const match = /(http:\/\/[^/\s]+\/)/.exec(chunk.toString());
      if (match) resolve(match[1]);
    });
    dashboard.once('exit', (code) => reject(new Error(`dashboard exited ${code}`)));
  });

  // A fresh profile directory each run (Playwright passes it to chromium as --user-data-dir).
  browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'redstream-chromium-')), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // Short viewport: full-page shots end where the content ends.
    viewport: { width: 1360, height: 400 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  await page.goto(address);
  await page.waitForSelector('#streams');
  await page.waitForSelector('.live.ok');
  await page.screenshot({ path: join(root, 'docs/dashboard-overview.png'), fullPage: true });
  await page.goto(`${address}streams/payments.settled/dead-letters`);
  await page.waitForSelector('#dead-letters');
  await page.screenshot({ path: join(root, 'docs/dashboard-dead-letters.png'), fullPage: true });
  await page.goto(`${address}streams/renders.requested/pending?group=render&priority=high`);
  await page.waitForSelector('#priority-levels');
  await page.screenshot({ path: join(root, 'docs/dashboard-pending-levels.png'), fullPage: true });
  if (process.argv.includes('--all')) {
    await page.goto(`${address}streams/orders.created`);
    await until(async () => (await page.locator('.uplot').count()) === 3, 'charts');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    await page.screenshot({ path: join(dir, 'stream.png'), fullPage: true });
    await page.goto(`${address}streams/orders.created/pending?group=billing`);
    await page.screenshot({ path: join(dir, 'pending.png'), fullPage: true });
    await page.goto(`${address}streams/payments.settled/dead-letters`);
    await page.locator('#dead-letters tbody a').first().click();
    await page.screenshot({ path: join(dir, 'dead-letter.png'), fullPage: true });
    await page.locator('dd a').first().click();
    await page.screenshot({ path: join(dir, 'message.png'), fullPage: true });
    console.log(`extra screenshots in ${dir}`);
  }
  console.log('wrote docs/dashboard-overview.png, docs/dashboard-dead-letters.png and docs/dashboard-pending-levels.png');
} finally {
  await browser?.close();
  dashboard?.kill('SIGTERM');
  await client.quit().catch(() => undefined);
  redis.kill('SIGTERM');
  if (!process.argv.includes('--all')) rmSync(dir, { recursive: true, force: true });
}
