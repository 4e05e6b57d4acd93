/**
 * Priorities through the Nest transport: `RedisStreamRecordBuilder.setPriority` on the client,
 * `priority` on RedisStreamsServer, `ctx.getPriority()` in the handler; bad levels are refused.
 */
import 'reflect-metadata';
import { RedisStreamRecordBuilder, RedisStreamsClient, type RedisStreamContext } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';
import { startWorker } from './worker-app.js';

describe('priorities through the Nest transport', () => {
  let client: RedisStreamsClient;
  afterAll(async () => {
    await client?.close();
  });
  const env = usePrivateRedis();

  beforeAll(async () => {
    client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    await client.connect();
  });

  it('emits with setPriority to the level streams, and a strict worker handles high before normal before low', async () => {
    const stream = 'nest.prio';
    const emit = (n: number, priority?: 'high' | 'normal' | 'low') => {
      const builder = new RedisStreamRecordBuilder({ n });
      return lastValueFrom(client.emit(stream, (priority ? builder.setPriority(priority) : builder).build()));
    };
    for (let n = 0; n < 20; n++) await emit(n, 'low');
    for (let n = 20; n < 40; n++) await emit(n);
    for (let n = 40; n < 60; n++) await emit(n, 'high');
    const plain = await lastValueFrom(client.emit(stream, { n: 60 }));
    expect(plain).toMatch(/^\d+-\d+$/);
    expect(await env.client.xLen('rs:{nest.prio}:high')).toBe(20);
    expect(await env.client.xLen('rs:{nest.prio}')).toBe(21);
    expect(await env.client.xLen('rs:{nest.prio}:low')).toBe(20);

    const levels: string[] = [];
    const { app, received } = await startWorker(
      stream,
      { url: env.redis.url, group: 'g', priority: 'strict', concurrency: 1, prefetch: 1 },
      { onEvent: (_data, ctx: RedisStreamContext) => void levels.push(ctx.getPriority()) },
    );
    try {
      await waitFor(() => received.length === 61, { what: 'all 61 handled' });
      expect(levels).toEqual([...Array(20).fill('high'), ...Array(21).fill('normal'), ...Array(20).fill('low')]);
    } finally {
      await app.close();
    }
  });

  it('request-response works on a level: the request goes to its level stream, the reply comes back', async () => {
    const { app } = await startWorker('nest.prio.rr', { url: env.redis.url, group: 'g', priority: {} }, { onQuote: (q) => ({ sku: q.sku, price: 7 }) });
    try {
      const reply = await lastValueFrom(client.send('nest.prio.rr.quote', new RedisStreamRecordBuilder({ sku: 'a' }).setPriority('high').build()));
      expect(reply).toEqual({ sku: 'a', price: 7 });
      expect(await env.client.xLen('rs:{nest.prio.rr.quote}:high')).toBe(1);
      expect(await env.client.exists('rs:{nest.prio.rr.quote}')).toBe(1);
      expect(await env.client.xLen('rs:{nest.prio.rr.quote}')).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('refuses an unknown level in the builder', () => {
    expect(() => new RedisStreamRecordBuilder({}).setPriority('urgent' as never)).toThrow(/setPriority: expected one of 'high', 'normal', 'low', got "urgent"/);
  });
});
