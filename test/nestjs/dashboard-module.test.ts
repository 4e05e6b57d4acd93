/**
 * RedisStreamsDashboardModule mounted in an existing Nest HTTP app, on Express and on
 * Fastify: the dashboard answers under its path with Redis' numbers, the app's own routes
 * still answer, JSON write requests get through each adapter's body handling, and read-only
 * is the default.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import { RedisStreamsDashboardModule, type RedisStreamsDashboardModuleOptions } from '@redstream/nestjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

@Controller('health')
class HealthController {
  @Get()
  health() {
    return { ok: true };
  }
}

const STREAM = 'nest.dash';

describe('RedisStreamsDashboardModule', () => {
  const env = usePrivateRedis();

  beforeAll(async () => {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(STREAM, Array.from({ length: 8 }, (_, i) => ({ data: { n: i } })));
    await producer.close();
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', logger: quietLogger }).subscribe(STREAM, () => {
      throw new UnrecoverableError('no');
    });
    await consumer.start();
    await waitFor(async () => (await env.client.xLen(`rs:{${STREAM}}:dlq`)) === 8, { what: 'dead letters' });
    await consumer.stop();
  });

  async function start(adapter: 'express' | 'fastify', options: RedisStreamsDashboardModuleOptions, globalPrefix?: string): Promise<{ app: INestApplication; base: string }> {
    @Module({ imports: [RedisStreamsDashboardModule.register({ url: env.redis.url, ...options })], controllers: [HealthController] })
    class AppModule {}
    const app = adapter === 'express' ? await NestFactory.create(AppModule, { logger: false }) : await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    if (globalPrefix) app.setGlobalPrefix(globalPrefix);
    await app.listen(0, '127.0.0.1');
    return { app, base: `${(await app.getUrl()).replace('[::1]', '127.0.0.1')}` };
  }

  for (const adapter of ['express', 'fastify'] as const) {
    describe(`on ${adapter}`, () => {
      it('serves the dashboard under its path next to the app routes, read-only by default', async () => {
        const { app, base } = await start(adapter, { path: '/ops/redstream' });
        try {
          expect(await (await fetch(`${base}/health`)).json()).toEqual({ ok: true });
          const bare = await fetch(`${base}/ops/redstream`, { redirect: 'manual' });
          expect(bare.status).toBe(308);
          expect(bare.headers.get('location')).toBe('/ops/redstream/');

          const overview = await fetch(`${base}/ops/redstream/`);
          expect(overview.status).toBe(200);
          expect(overview.headers.get('content-security-policy')).toContain("default-src 'none'");
          const html = await overview.text();
          expect(html).toContain(`data-stream="${STREAM}"`);
          expect(html).toContain('href="/ops/redstream/assets/dashboard.css"');
          expect((await fetch(`${base}/ops/redstream/assets/uPlot.iife.min.js`)).status).toBe(200);

          const api = (await (await fetch(`${base}/ops/redstream/api/overview`)).json()) as { streams: { stream: string; length: number; deadLetters: number }[] };
          const stats = api.streams.find((s) => s.stream === STREAM)!;
          expect(stats.length).toBe(await env.client.xLen(`rs:{${STREAM}}`));
          expect(stats.deadLetters).toBe(await env.client.xLen(`rs:{${STREAM}}:dlq`));

          const deadLetters = await (await fetch(`${base}/ops/redstream/streams/${STREAM}/dead-letters`)).text();
          expect(deadLetters).not.toContain('data-action');
          const write = await fetch(`${base}/ops/redstream/api/streams/${STREAM}/dead-letters/replay`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-redstream-dashboard': '1' },
            body: JSON.stringify({ filter: {}, dryRun: true }),
          });
          expect(write.status).toBe(403);
          expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
        } finally {
          await app.close();
        }
      });

      it("follows the app's global prefix in its address and its links", async () => {
        const { app, base } = await start(adapter, {}, 'api');
        try {
          expect(await (await fetch(`${base}/api/health`)).json()).toEqual({ ok: true });
          const overview = await fetch(`${base}/api/redstream/`);
          expect(overview.status).toBe(200);
          const html = await overview.text();
          expect(html).toContain('href="/api/redstream/assets/dashboard.css"');
          expect(html).toContain(`href="/api/redstream/streams/${STREAM}"`);
          expect((await fetch(`${base}/api/redstream/streams/${STREAM}/dead-letters`)).status).toBe(200);
          expect((await fetch(`${base}/api/redstream/assets/dashboard.js`)).status).toBe(200);
        } finally {
          await app.close();
        }
      });

      it('with allowWrites and a token: JSON writes pass the adapter, requests without the token get 401', async () => {
        const token = `secret-${adapter}-token`;
        const { app, base } = await start(adapter, { allowWrites: true, token });
        try {
          expect((await fetch(`${base}/redstream/`)).status).toBe(401);
          const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-redstream-dashboard': '1' };
          expect((await fetch(`${base}/redstream/`, { headers: auth })).status).toBe(200);
          const url = `${base}/redstream/api/streams/${STREAM}/dead-letters/purge`;
          const [[oldest]] = (await env.client.sendCommand(['XRANGE', `rs:{${STREAM}}:dlq`, '-', '+', 'COUNT', '1'])) as [string, string[]][];
          const dryRun = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ ids: [oldest], dryRun: true }) });
          expect(await dryRun.json()).toEqual({ count: 1 });
          const before = await env.client.xLen(`rs:{${STREAM}}:dlq`);
          const purge = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ ids: [oldest] }) });
          expect(await purge.json()).toEqual({ deleted: 1 });
          expect(await env.client.xLen(`rs:{${STREAM}}:dlq`)).toBe(before - 1);
          const bad = await fetch(url, { method: 'POST', headers: auth, body: JSON.stringify({ ids: ['not-an-id'] }) });
          expect(bad.status).toBe(400);
          expect(((await bad.json()) as { error: string }).error).toContain('not an entry id');
        } finally {
          await app.close();
        }
      });
    });
  }
});
