/**
 * Batch handlers through the Nest transport (issue 14), end to end on a real redis-server:
 * `@EventPattern(pattern, { batch })` gets the payloads and a RedisStreamBatchContext whose lists
 * line up with them; a BatchFailure thrown through Nest's default exception filter (no filter of
 * ours installed) retries and dead-letters only the messages it names, a returned one too; Nest's
 * processing hooks run once around a batch; `batch` on a `@MessagePattern` is refused at listen.
 */
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { fieldsToObject } from '@redstream/core';
import { BatchFailure, RedisStreamBatchContext, RedisStreamRecordBuilder, RedisStreamsClient, RedisStreamsServer } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { simulatedWork } from '../support/simulated-work.js';
import { waitFor } from '../support/wait-for.js';

interface Row {
  n: number;
  bad: boolean;
}
interface Call {
  rows: Row[];
  stream: string;
  size: number;
  entryIds: string[];
  messageIds: string[];
  deliveries: number[];
  headers: Record<string, string>[];
}

describe('batch handlers through the Nest transport', () => {
  let client: RedisStreamsClient;
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.splice(0)) await close();
    await client?.close();
  });
  const env = usePrivateRedis();
  beforeAll(async () => {
    client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    await client.connect();
  });

  it('hands @EventPattern(p, { batch }) the payloads with a context of their ids, and retries only what a BatchFailure names', async () => {
    const stream = 'nest.batch';
    const calls: Call[] = [];

    @Controller()
    class Inserts {
      @EventPattern(stream, { batch: { maxSize: 10, maxWaitMs: 30 }, maxDeliveries: 2, backoff: { delayMs: 20, maxDelayMs: 50 } })
      async insert(@Payload() rows: Row[], @Ctx() ctx: RedisStreamBatchContext): Promise<void> {
        calls.push({
          rows, stream: ctx.getStream(), size: ctx.getSize(), entryIds: ctx.getEntryIds(), messageIds: ctx.getMessageIds(), deliveries: ctx.getDeliveryCounts(), headers: ctx.getHeaders(),
        });
        await simulatedWork(5);
        const rejected = ctx.getMessageIds().filter((_, i) => rows[i].bad);
        if (rejected.length > 0) throw new BatchFailure(rejected, new Error('row rejected by the database'));
      }
    }
    @Module({ controllers: [Inserts] })
    class WorkerModule {}
    const app = await NestFactory.createMicroservice(WorkerModule, { strategy: new RedisStreamsServer({ url: env.redis.url, group: 'g', logger: quietLogger }), logger: false });
    closers.push(() => app.close());
    await app.listen();

    const entryIds: string[] = [];
    for (let n = 0; n < 25; n++) {
      const record = new RedisStreamRecordBuilder({ n, bad: n === 3 || n === 17 }).setHeaders({ row: String(n) }).setIdempotencyKey(`row-${n}`).build();
      entryIds.push(await lastValueFrom(client.emit(stream, record)));
    }
    const deadLetters = async () => ((await env.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][]).map(([, f]) => fieldsToObject(f));
    const pending = async () => ((await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0];
    await waitFor(async () => (await deadLetters()).length === 2 && (await pending()) === 0, { what: 'two dead letters, the rest acked' });

    for (const call of calls) {
      expect(call.size).toBe(call.rows.length);
      expect(call.size).toBeLessThanOrEqual(10);
      expect(call.stream).toBe(stream);
      expect(call.messageIds).toEqual(call.rows.map((r) => `row-${r.n}`));
      expect(call.headers.map((h) => h.row)).toEqual(call.rows.map((r) => String(r.n)));
      expect(call.entryIds).toEqual(call.rows.map((r) => entryIds[r.n]));
    }
    // A retried message may share a batch with new ones: count per message.
    const handled = calls.flatMap((c) => c.rows.map((r, i) => ({ n: r.n, delivery: c.deliveries[i] })));
    expect(handled.filter((h) => h.delivery === 1).map((h) => h.n).sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
    expect(handled.filter((h) => h.delivery > 1).map((h) => `${h.n}:${h.delivery}`).sort()).toEqual(['17:2', '3:2']);
    const letters = await deadLetters();
    expect(letters.map((l) => l.dlqOriginalId).sort()).toEqual([entryIds[3], entryIds[17]].sort());
    for (const letter of letters) expect(letter).toMatchObject({ dlqReason: 'max-deliveries', dlqDeliveries: '2', dlqError: 'row rejected by the database' });
  });

  it('runs Nest processing hooks once around each batch, with the batch context, and a returned BatchFailure retries what it names', async () => {
    const stream = 'nest.batch.hooked';
    const scope = new AsyncLocalStorage<string>();
    const events: string[] = [];

    @Controller()
    class Hooked {
      @EventPattern(stream, { batch: { maxSize: 10, maxWaitMs: 50 }, backoff: { delayMs: 10, maxDelayMs: 10, jitter: false } })
      insert(@Payload() rows: string[], @Ctx() ctx: RedisStreamBatchContext): BatchFailure | undefined {
        events.push(`handle ${rows.join(',')} in ${scope.getStore()}`);
        return ctx.getDeliveryCounts()[0] === 1 ? new BatchFailure([ctx.getEntryIds()[1]]) : undefined;
      }
    }
    @Module({ controllers: [Hooked] })
    class HookedModule {}
    const server = new RedisStreamsServer({ url: env.redis.url, group: 'g', logger: quietLogger });
    server.setOnProcessingStartHook((_transportId, context, done) => {
      const batch = context as RedisStreamBatchContext;
      events.push(`start ${batch.getSize()}`);
      void scope.run(`batch-of-${batch.getSize()}`, done);
    });
    server.setOnProcessingEndHook((_transportId, context) => events.push(`end ${(context as RedisStreamBatchContext).getSize()}`));
    const app = await NestFactory.createMicroservice(HookedModule, { strategy: server, logger: false });
    closers.push(() => app.close());
    await app.listen();
    await Promise.all(['a', 'b', 'c'].map((row) => lastValueFrom(client.emit(stream, row))));
    await waitFor(() => events.length === 6, { what: 'the batch and the retry of its failed row' });
    expect(events[0]).toBe('start 3');
    expect(events[1]).toMatch(/^handle [abc],[abc],[abc] in batch-of-3$/);
    expect(events.slice(2)).toEqual(['end 3', 'start 1', `handle ${events[1].split(' ')[1].split(',')[1]} in batch-of-1`, 'end 1']);
    await waitFor(async () => ((await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'g'])) as [number])[0] === 0, { what: 'all acked' });
  });

  it('refuses batch on a @MessagePattern handler at listen, saying why', async () => {
    @Controller()
    class Quotes {
      @MessagePattern('nest.batch.quote', { batch: { maxSize: 10, maxWaitMs: 30 } })
      quote(@Payload() q: unknown): unknown {
        return q;
      }
    }
    @Module({ controllers: [Quotes] })
    class QuoteModule {}
    const app = await NestFactory.createMicroservice(QuoteModule, { strategy: new RedisStreamsServer({ url: env.redis.url, group: 'g', logger: quietLogger }), logger: false });
    closers.push(() => app.close());
    await expect(app.listen()).rejects.toThrow(/batch applies to @EventPattern handlers only/);
  });
});
