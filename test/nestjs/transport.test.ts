import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { fieldsToObject, InvalidOptionError, SerializationError, UnrecoverableError } from '@redstream/core';
import { RpcException } from '@nestjs/microservices';
import { RedisStreamRecordBuilder, RedisStreamsClient, type RedisStreamContext } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { usePrivateRedis, type RedisClient } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';
import { quietLogger } from '../support/quiet-logger.js';
import { simulatedWork } from '../support/simulated-work.js';
import { startWorker } from './worker-app.js';

describe('NestJS transport against a real redis-server', () => {
  let client: RedisStreamsClient;
  // Jest runs afterAll hooks in declaration order: declared first, the client closes before env stops Redis.
  afterAll(async () => {
    await client?.close();
  });
  const env = usePrivateRedis();
  let redis: RedisServer;
  let admin: RedisClient;

  beforeAll(async () => {
    redis = env.redis;
    admin = env.client;
    client = new RedisStreamsClient({ url: redis.url, logger: quietLogger, requestTimeoutMs: 1_500 });
    await client.connect();
  });

  const pendingCount = async (stream: string, group: string) =>
    ((await admin.sendCommand(['XPENDING', `rs:{${stream}}`, group])) as [number])[0];

  it('delivers an emitted event to its @EventPattern handler with the context', async () => {
    const { app, received } = await startWorker('orders.created', { url: redis.url, group: 'billing' }, {});
    const entryId = await lastValueFrom(
      client.emit('orders.created', new RedisStreamRecordBuilder({ orderId: 7 }).setHeaders({ tenant: 't1' }).build()),
    );
    expect(entryId).toMatch(/^\d+-\d+$/);
    await waitFor(() => received.length === 1, { what: 'the event' });
    expect(received[0]).toMatchObject({
      data: { orderId: 7 },
      stream: 'orders.created',
      entryId,
      deliveryCount: 1,
      headers: { tenant: 't1' },
    });
    expect(received[0].messageId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(async () => (await pendingCount('orders.created', 'billing')) === 0, { what: 'the ack' });
    await app.close();
  });

  it('hands 10,000 messages across 3 instances of one group, each exactly once', async () => {
    const stream = 'spread';
    const workers = await Promise.all([1, 2, 3].map((i) => startWorker(stream, { url: redis.url, group: 'g', consumer: `w${i}` }, {})));
    const producer = client.getProducer()!;
    for (let sent = 0; sent < 10_000; sent += 1_000) {
      await producer.publishMany(stream, Array.from({ length: 1_000 }, (_, i) => ({ data: sent + i })));
    }
    const total = () => workers.reduce((sum, w) => sum + w.received.length, 0);
    await waitFor(() => total() >= 10_000, { timeoutMs: 60_000, what: '10,000 deliveries' });
    const seen = workers.flatMap((w) => w.received.map((r) => r.data as number));
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen).size).toBe(10_000);
    for (const worker of workers) expect(worker.received.length).toBeGreaterThan(0);
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, { what: 'all acked' });
    await Promise.all(workers.map((w) => w.app.close()));
  });

  it('gives every message to each of two groups on one stream', async () => {
    const stream = 'fanout';
    const a = await startWorker(stream, { url: redis.url, group: 'a' }, {});
    const b = await startWorker(stream, { url: redis.url, group: 'b' }, {});
    await client.getProducer()!.publishMany(stream, Array.from({ length: 300 }, (_, i) => ({ data: i })));
    await waitFor(() => a.received.length === 300 && b.received.length === 300, { what: 'both groups' });
    expect(new Set(a.received.map((r) => r.data)).size).toBe(300);
    expect(new Set(b.received.map((r) => r.data)).size).toBe(300);
    await Promise.all([a.app.close(), b.app.close()]);
  });

  it('round-trips a request and times out cleanly when no worker answers', async () => {
    const { app } = await startWorker('prices', { url: redis.url, group: 'pricing' }, { onQuote: (q) => ({ sku: q.sku, price: 9 }) });
    await expect(lastValueFrom(client.send('prices.quote', { sku: 'A-1' }))).resolves.toEqual({ sku: 'A-1', price: 9 });
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => lastValueFrom(client.send('prices.quote', { sku: `S-${i}` }))),
    );
    expect(replies.map((r) => r.sku)).toEqual(Array.from({ length: 20 }, (_, i) => `S-${i}`));
    await app.close();

    const started = Date.now();
    await expect(lastValueFrom(client.send('nobody.listens', { sku: 'x' }))).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('sends a handler error back to the requester, through Nest\'s exception filter', async () => {
    const { app } = await startWorker('quotes-err', { url: redis.url, group: 'pricing' }, {
      onQuote: (q) => {
        if (q.sku === 'rpc') throw new RpcException('no price for that sku');
        throw new Error('a bug');
      },
    });
    await expect(lastValueFrom(client.send('quotes-err.quote', { sku: 'rpc' }))).rejects.toMatchObject({ message: 'no price for that sku' });
    // Like every Nest transport, an error that is not an RpcException reaches the caller masked.
    await expect(lastValueFrom(client.send('quotes-err.quote', { sku: 'bug' }))).rejects.toMatchObject({ message: 'Internal server error' });
    await app.close();
  });

  it('runs Nest processing hooks around each event and request: the handler sees what the start hook set up, the end hook follows it, also when it fails', async () => {
    const stream = 'hooked';
    const span = new AsyncLocalStorage<string>();
    const events: string[] = [];
    let failOnce = true;
    const { app } = await startWorker(
      stream,
      { url: redis.url, group: 'g', backoff: { delayMs: 10, maxDelayMs: 10, jitter: false } },
      {
        onEvent: (data) => {
          events.push(`handle ${String(data)} in ${span.getStore()}`);
          if (data === 'bad' && failOnce) {
            failOnce = false;
            throw new Error('fails once');
          }
        },
        onQuote: (q) => {
          events.push(`quote in ${span.getStore()}`);
          return { sku: q.sku, price: 1 };
        },
      },
      {
        beforeListen: (server) => {
          server.setOnProcessingStartHook((transportId, context, done) => {
            const ctx = context as RedisStreamContext;
            events.push(`start ${ctx.getDeliveryCount()}`);
            // Not returning done()'s promise: the entry's outcome must not depend on it.
            void span.run(`span-${ctx.getEntryId()}`, done);
          });
          server.setOnProcessingEndHook((_transportId, context) => events.push(`end ${(context as RedisStreamContext).getDeliveryCount()}`));
        },
      },
    );
    const ok = await lastValueFrom(client.emit(stream, 'ok'));
    await waitFor(() => events.length === 3, { what: 'the first event' });
    expect(events.splice(0)).toEqual(['start 1', `handle ok in span-${ok}`, 'end 1']);
    const bad = await lastValueFrom(client.emit(stream, 'bad'));
    await waitFor(() => events.length === 6, { what: 'the failed event and its retry' });
    expect(events.splice(0)).toEqual(['start 1', `handle bad in span-${bad}`, 'end 1', 'start 2', `handle bad in span-${bad}`, 'end 2']);
    await waitFor(async () => (await pendingCount(stream, 'g')) === 0, { what: 'both acked' });
    await expect(lastValueFrom(client.send(`${stream}.quote`, { sku: 'A' }))).resolves.toEqual({ sku: 'A', price: 1 });
    // The end hook runs once the reply is written, which can be just after the requester has it.
    await waitFor(() => events.length === 3, { what: 'the end of the request' });
    expect(events[0]).toBe('start 1');
    expect(events[1]).toMatch(/^quote in span-\d+-\d+$/);
    expect(events[2]).toBe('end 1');
    await app.close();
  });

  it('leaves the entry of a throwing handler pending, not acked', async () => {
    const stream = 'failing';
    const { app, received } = await startWorker(
      stream,
      { url: redis.url, group: 'g', backoff: { delayMs: 60_000, maxDelayMs: 60_000, jitter: false } },
      {
        onEvent: () => {
          throw new Error('downstream unavailable');
        },
      },
    );
    await client.getProducer()!.publish(stream, { n: 1 });
    await waitFor(() => received.length === 1, { what: 'the delivery' });
    await waitFor(async () => (await pendingCount(stream, 'g')) === 1, { what: 'entry pending' });
    expect(await admin.xLen(`rs:{${stream}}:dlq`)).toBe(0);
    await app.close();
    expect(await pendingCount(stream, 'g')).toBe(1);
  });

  describe('handler errors through Nest', () => {
    const deadLetters = async (stream: string) =>
      ((await admin.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][]).map(([, f]) => fieldsToObject(f));
    const fast = { delayMs: 5, maxDelayMs: 5, jitter: false };

    it('with RedisStreamsExceptionFilter, UnrecoverableError skips retries and dead letters keep the real error', async () => {
      const stream = 'nest.errors';
      const { app, received } = await startWorker(stream, { url: redis.url, group: 'g', maxDeliveries: 3, backoff: fast }, {
        onEvent: (data) => {
          if ((data as { kind: string }).kind === 'bad') throw new UnrecoverableError('order 7 has no customer');
          throw new TypeError('payments API returned 503');
        },
      });
      await client.getProducer()!.publish(stream, { kind: 'bad' });
      await client.getProducer()!.publish(stream, { kind: 'flaky' });
      await waitFor(async () => (await deadLetters(stream)).length === 2, { what: 'both dead-lettered' });
      const letters = await deadLetters(stream);
      expect(letters[0]).toMatchObject({ dlqReason: 'unrecoverable', dlqDeliveries: '1', dlqError: 'order 7 has no customer' });
      expect(letters[0].dlqStack).toMatch(/UnrecoverableError: order 7 has no customer/);
      expect(letters[1]).toMatchObject({ dlqReason: 'max-deliveries', dlqDeliveries: '3', dlqError: 'payments API returned 503' });
      expect(received.map((r) => (r.data as { kind: string }).kind)).toEqual(['bad', 'flaky', 'flaky', 'flaky']);
      await app.close();
    });

    it("without it, the error Nest's default filter masks still reaches the consumer as thrown (issue: dead letters said 'Internal server error')", async () => {
      const stream = 'nest.masked';
      const { app, received } = await startWorker(
        stream,
        { url: redis.url, group: 'g', maxDeliveries: 2, backoff: fast },
        {
          onEvent: () => {
            throw new UnrecoverableError('lost in the filter');
          },
        },
        { exceptionFilter: false },
      );
      await client.getProducer()!.publish(stream, { n: 1 });
      await waitFor(async () => (await deadLetters(stream)).length === 1, { what: 'dead-lettered' });
      expect((await deadLetters(stream))[0]).toMatchObject({ dlqReason: 'unrecoverable', dlqDeliveries: '1', dlqError: 'lost in the filter' });
      expect(received).toHaveLength(1);
      await app.close();
    });
  });

  it('never runs more handlers than concurrency', async () => {
    const stream = 'bounded';
    let running = 0;
    let peak = 0;
    const { app, received } = await startWorker(stream, { url: redis.url, group: 'g', concurrency: 5 }, {
      onEvent: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => setImmediate(resolve));
        running -= 1;
      },
    });
    await client.getProducer()!.publishMany(stream, Array.from({ length: 1_000 }, (_, i) => ({ data: i })));
    await waitFor(() => received.length === 1_000, { timeoutMs: 30_000, what: '1,000 handled' });
    expect(peak).toBe(5);
    await app.close();
  });

  it('app.close() under load waits for in-flight handlers and leaves nothing handled unacked', async () => {
    const stream = 'closing';
    const finished: string[] = [];
    const { app, received } = await startWorker(stream, { url: redis.url, group: 'g', consumer: 'closer', concurrency: 50, prefetch: 200 }, {
      onEvent: async (_data, ctx) => {
        await simulatedWork(20 + Math.random() * 80);
        finished.push(ctx.getEntryId());
      },
    });
    await client.getProducer()!.publishMany(stream, Array.from({ length: 2_000 }, (_, i) => ({ data: i })));
    await waitFor(() => received.length >= 200, { what: 'load under way' });
    await app.close();
    const startedCount = received.length;
    expect(finished.length).toBe(startedCount);
    const pending = (await admin.sendCommand(['XPENDING', `rs:{${stream}}`, 'g', '-', '+', '10000'])) as [string, string, number, number][];
    const pendingIds = new Set(pending.map((row) => row[0]));
    expect(finished.filter((id) => pendingIds.has(id))).toEqual([]);
    // What is still pending was prefetched and never started: handed back, i.e. idle past
    // any claim.minIdleMs, so another consumer's next reclaim pass takes it.
    expect(pending.length).toBeLessThanOrEqual(200 - 50);
    for (const [, owner, idle] of pending) expect([owner, idle > 86_400_000]).toEqual(['closer', true]);
    // It left the group only if nothing was left on it.
    const consumers = (await admin.sendCommand(['XINFO', 'CONSUMERS', `rs:{${stream}}`, 'g'])) as string[][];
    expect(consumers.map((c) => c[1]).includes('closer')).toBe(pending.length > 0);
    expect(finished.length).toBeLessThan(2_000);
  });

  describe('bad input', () => {
    it('rejects invalid options at construction, naming the option', async () => {
      const { RedisStreamsServer } = await import('@redstream/nestjs');
      expect(() => new RedisStreamsServer({ group: 'g', concurrency: 0 })).toThrow(InvalidOptionError);
      expect(() => new RedisStreamsServer({ group: 'g', concurrency: 0 })).toThrow(/`concurrency`.*got 0.*integer between 1/);
      expect(() => new RedisStreamsServer({ group: '' })).toThrow(/`group`/);
      expect(() => new RedisStreamsServer({ group: 'g', claim: { minIdleMs: -5 } })).toThrow(/`claim.minIdleMs`/);
      expect(() => new RedisStreamsServer({ group: 'g', url: 'http://x' })).toThrow(/`url`/);
      expect(() => new RedisStreamsServer({ group: 'g', maxDelivery: 3 } as never)).toThrow(/`maxDelivery`.*no such option/);
      expect(() => new RedisStreamsClient({ prefix: 'a b' })).toThrow(/`prefix`/);
    });

    it('rejects an emit whose payload cannot be serialized', async () => {
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      await expect(lastValueFrom(client.emit('orders.created', cyclic))).rejects.toThrow(SerializationError);
      await expect(lastValueFrom(client.emit('orders.created', { n: 10n }))).rejects.toThrow(/Cannot serialize the payload for stream "orders.created"/);
    });

    it('rejects (never throws synchronously) a publish with a bad stream name or payload', async () => {
      const producer = client.getProducer()!;
      let bad: Promise<unknown> | undefined;
      expect(() => (bad = producer.publish('has space', { ok: true }))).not.toThrow();
      await expect(bad).rejects.toThrow(InvalidOptionError);
      expect(() => (bad = producer.publish('orders.created', { n: 10n }))).not.toThrow();
      await expect(bad).rejects.toThrow(SerializationError);
    });

    it('does not deliver an entry without `data` and keeps consuming', async () => {
      const stream = 'foreign';
      const { app, received } = await startWorker(stream, { url: redis.url, group: 'g' }, {});
      await admin.sendCommand(['XADD', `rs:{${stream}}`, '*', 'payload', '{"written":"by python"}']);
      await client.getProducer()!.publish(stream, { ok: true });
      await waitFor(() => received.length === 1, { what: 'the good entry' });
      expect(received[0].data).toEqual({ ok: true });
      await waitFor(async () => (await admin.xLen(`rs:{${stream}}:dlq`)) === 1, { what: 'the bad entry dead-lettered' });
      const [dead] = (await admin.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][];
      expect(dead[1]).toEqual(expect.arrayContaining(['payload', '{"written":"by python"}', 'dlqReason', 'decode-error']));
      await waitFor(async () => (await pendingCount(stream, 'g')) === 0, { what: 'nothing pending' });
      await app.close();
    });
  });
});
