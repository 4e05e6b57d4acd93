/**
 * `redstream dashboard` at the HTTP level, without a browser: a Host header other than
 * localhost is refused (DNS rebinding), write requests need the dashboard's own header, and
 * while Redis is away the pages say so at once, then recover when it is back.
 */
import { request } from 'node:http';
import { StreamProducer } from '@redstream/core';
import { startDashboard, type RunningDashboard } from '../support/dashboard.js';
import { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

const STREAM = 'dash.http';

/** GET with a chosen Host header (fetch does not let a caller set it). */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

describe('redstream dashboard over HTTP', () => {
  // Its own server (no shared assertion client): the last test kills and restarts it.
  const env = {} as { redis: RedisServer };
  let dashboard: RunningDashboard;

  beforeAll(async () => {
    env.redis = await RedisServer.start();
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(STREAM, [{ data: { n: 1 } }, { data: { n: 2 } }]);
    await producer.close();
    dashboard = await startDashboard(env.redis.url, ['--allow-writes']);
  });

  afterAll(async () => {
    await dashboard?.stop();
    await env.redis?.stop();
  });

  it('answers to localhost names only when bound to localhost', async () => {
    const port = new URL(dashboard.url).port;
    expect(await getWithHost(dashboard.url, `127.0.0.1:${port}`)).toBe(200);
    expect(await getWithHost(dashboard.url, `localhost:${port}`)).toBe(200);
    expect(await getWithHost(dashboard.url, `attacker.example:${port}`)).toBe(403);
  });

  it('refuses write requests without the dashboard header, even with --allow-writes', async () => {
    const url = `${dashboard.url}api/streams/${STREAM}/trim`;
    const withoutHeader = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"dryRun":true}' });
    expect(withoutHeader.status).toBe(403);
    const withHeader = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-redstream-dashboard': '1' }, body: '{"dryRun":true}' });
    expect(withHeader.status).toBe(200);
    expect(await withHeader.json()).toEqual({ count: 0, minId: null });
  });

  it('says at once that Redis is unavailable, and recovers when it is back', async () => {
    await env.redis.kill();
    const started = Date.now();
    const down = await fetch(`${dashboard.url}api/overview`);
    expect(down.status).toBe(500);
    expect(Date.now() - started).toBeLessThan(2_000);
    const page = await fetch(dashboard.url);
    expect(page.status).toBe(500);
    expect(await page.text()).toContain('Something went wrong');

    await env.redis.launch();
    const overview = await waitFor(
      async () => {
        const response = await fetch(`${dashboard.url}api/overview`);
        return response.ok ? ((await response.json()) as { streams: { stream: string; length: number }[] }) : undefined;
      },
      { timeoutMs: 15_000, what: 'the dashboard to reconnect' },
    );
    expect(overview.streams.map((s) => s.stream)).toEqual([]);
    // The restarted server kept no data (no persistence): the page shows the empty state, not an error.
    expect(await (await fetch(dashboard.url)).text()).toContain('No streams registered');
  });
});
