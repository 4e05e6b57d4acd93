/**
 * getJobStatus (issue 15) against real Redis: one entry's state per group as its handler
 * runs, fails, waits for its retry, runs again and completes (group g1) or is dead-lettered
 * (group g2); delayed messages; lookups by idempotency key; ids that cannot be found.
 */
import 'reflect-metadata';
import { getJobStatus, KeyBuilder, type GroupJobStatus, type ReceivedMessage } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { runCli, runCliJson } from '../support/cli.js';
import { quietLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

/** A handler whose every delivery waits until the test settles it. */
function gatedHandler() {
  const waiting: { deliveryCount: number; settle: (error?: Error) => void }[] = [];
  const handler = (message: ReceivedMessage) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ deliveryCount: message.deliveryCount, settle: (error) => (error ? reject(error) : resolve()) });
    });
  const next = () => waitFor(() => waiting.shift(), { what: 'a delivery' });
  return { handler, next };
}

describe('getJobStatus', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  const status = async (stream: string, id: string) => (await getJobStatus(fx.producer.connection, keys, stream, id)).groups;
  const of = (groups: GroupJobStatus[], group: string) => groups.find((g) => g.group === group);
  const until = (stream: string, id: string, group: string, match: Partial<GroupJobStatus>) =>
    waitFor(
      async () => {
        const found = of(await status(stream, id), group);
        return found !== undefined && Object.entries(match).every(([k, v]) => (found as unknown as Record<string, unknown>)[k] === v) ? found : undefined;
      },
      { timeoutMs: 10_000, what: `${group} ${JSON.stringify(match)}` },
    );

  it('follows one entry waiting → active → retrying → active → completed in g1 and → dead-lettered in g2, with deliveries and errors', async () => {
    const stream = 'status.lifecycle';
    for (const group of ['g1', 'g2']) await fx.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), group, '$', 'MKSTREAM']);
    const { entryId } = await fx.producer.publish(stream, { job: 1 });

    expect(await status(stream, entryId)).toEqual([
      { group: 'g1', state: 'waiting', deliveries: 0 },
      { group: 'g2', state: 'waiting', deliveries: 0 },
    ]);

    const g1 = gatedHandler();
    const backoff = { delayMs: 1_500, maxDelayMs: 1_500, jitter: false };
    await fx.consumer(stream, g1.handler, { group: 'g1', consumer: 'c1', backoff, maxDeliveries: 5 });
    const first = await g1.next();
    expect(of(await status(stream, entryId), 'g1')).toEqual({ group: 'g1', state: 'active', deliveries: 1, consumer: 'c1' });
    expect(of(await status(stream, entryId), 'g2')).toMatchObject({ state: 'waiting' });

    first.settle(new Error('render failed: out of memory'));
    const retrying = await until(stream, entryId, 'g1', { state: 'retrying' });
    expect(retrying).toMatchObject({ deliveries: 1, consumer: 'c1', error: 'render failed: out of memory' });
    expect(retrying.dueAt).toBeGreaterThan(Date.now() - 1_000);
    expect(retrying.updatedAt).toBeLessThanOrEqual(Date.now());

    const second = await g1.next();
    expect(second.deliveryCount).toBe(2);
    expect(of(await status(stream, entryId), 'g1')).toMatchObject({ state: 'active', deliveries: 2, consumer: 'c1' });
    second.settle();
    expect(await until(stream, entryId, 'g1', { state: 'completed' })).toMatchObject({ deliveries: 2 });

    await fx.consumer(stream, async () => {
      throw new Error('poison');
    }, { group: 'g2', consumer: 'c2', backoff: { delayMs: 50, maxDelayMs: 50, jitter: false }, maxDeliveries: 2 });
    expect(await until(stream, entryId, 'g2', { state: 'dead-lettered' })).toMatchObject({ deliveries: 2, error: 'poison' });
    expect(of(await status(stream, entryId), 'g1')).toMatchObject({ state: 'completed' });

    // The tracking hash is the only thing written, on failures, and it expires.
    const ttl = (await fx.client.sendCommand(['PTTL', keys.forStream(stream).job(entryId)])) as number;
    expect(ttl).toBeGreaterThan(86_000_000);
  });

  it('writes no tracking hash for an entry that succeeds', async () => {
    const stream = 'status.success';
    const { entryId } = await fx.producer.publish(stream, { ok: true });
    await fx.consumer(stream, () => undefined, { group: 'g' });
    expect(await until(stream, entryId, 'g', { state: 'completed' })).toEqual({ group: 'g', state: 'completed', deliveries: 1 });
    expect(await fx.client.sendCommand(['EXISTS', keys.forStream(stream).job(entryId)])).toBe(0);
  });

  it('shows the progress a handler reported, while active and once completed; refuses a bad progress value', async () => {
    const stream = 'status.progress';
    const { entryId } = await fx.producer.publish(stream, { render: 'video' });
    let finish: () => void = () => undefined;
    const refused: unknown[] = [];
    await fx.consumer(stream, async (message) => {
      await message.reportProgress(10);
      await message.reportProgress({ step: 'encode', percent: 60 });
      for (const bad of [101, -1, Number.NaN, 'half', [1], { blob: 'x'.repeat(2_000) }]) {
        await message.reportProgress(bad as never).catch((error: Error) => refused.push(error.message));
      }
      await new Promise<void>((resolve) => (finish = resolve));
      await message.reportProgress(100);
    }, { group: 'g', shutdownTimeoutMs: 1_000 });
    const active = await until(stream, entryId, 'g', { state: 'active' });
    await waitFor(async () => (of(await status(stream, entryId), 'g')?.progress as { step?: string } | undefined)?.step === 'encode', { what: 'progress' });
    expect(of(await status(stream, entryId), 'g')).toMatchObject({ state: 'active', progress: { step: 'encode', percent: 60 } });
    expect(active.deliveries).toBe(1);
    expect(refused).toHaveLength(6);
    expect(refused[0]).toMatch(/reportProgress\(101\): give a number from 0 to 100 or a JSON object/);
    finish();
    const done = await until(stream, entryId, 'g', { state: 'completed' });
    expect(done.progress).toBe(100);
    expect(done.updatedAt).toBeGreaterThan(Date.now() - 10_000);
  });

  it('reports a delayed message as delayed, by its delayed id and by its idempotency key, and finds keyed entries by key', async () => {
    const stream = 'status.delayed';
    await fx.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), 'g', '$', 'MKSTREAM']);
    const plain = await fx.producer.publish(stream, { later: 1 }, { delayMs: 60_000 });
    const keyed = await fx.producer.publish(stream, { later: 2 }, { delayMs: 60_000, idempotencyKey: 'render-42' });
    for (const id of [plain.entryId, keyed.entryId, 'render-42']) {
      const [group] = await status(stream, id);
      expect(group).toMatchObject({ group: 'g', state: 'delayed', deliveries: 0 });
      expect(group.dueAt).toBeGreaterThan(Date.now() + 50_000);
    }

    const now = await fx.producer.publish(stream, { now: 1 }, { idempotencyKey: 'payment-7' });
    const byKey = await getJobStatus(fx.producer.connection, keys, stream, 'payment-7');
    expect(byKey).toMatchObject({ entryId: now.entryId, groups: [{ group: 'g', state: 'waiting' }] });
    // A key that looks like an entry id (an order number) is still found by its mark.
    const numeric = await fx.producer.publish(stream, { order: 12345 }, { idempotencyKey: '12345' });
    expect(await getJobStatus(fx.producer.connection, keys, stream, '12345')).toMatchObject({ entryId: numeric.entryId, groups: [{ state: 'waiting' }] });
  });

  it('says unknown for a plain message id and an id never written, and no groups for a stream that does not exist', async () => {
    const stream = 'status.unknown';
    await fx.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), 'g', '$', 'MKSTREAM']);
    await fx.producer.publish(stream, { x: 1 });
    const [, fields] = ((await fx.client.sendCommand(['XRANGE', keys.stream(stream), '-', '+'])) as [string, string[]][])[0];
    const messageId = fields[fields.indexOf('id') + 1];
    expect(await getJobStatus(fx.producer.connection, keys, stream, messageId)).toEqual({
      stream, id: messageId, entryId: null, groups: [{ group: 'g', state: 'unknown', deliveries: 0 }],
    });
    expect((await status(stream, '1-1'))[0]).toMatchObject({ state: 'unknown' });
    expect(await getJobStatus(fx.producer.connection, keys, 'status.nothing-here', '1-1')).toMatchObject({ groups: [] });
  });

  it('answers the same through client.getStatus and `redstream status` (table and --json)', async () => {
    const stream = 'status.surfaces';
    await fx.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), 'billing', '$', 'MKSTREAM']);
    const client = new RedisStreamsClient({ url: fx.redis.url, logger: quietLogger });
    try {
      const entryId = await lastValueFrom(client.emit(stream, new RedisStreamRecordBuilder({ n: 1 }).setIdempotencyKey('invoice-9').build()));
      expect(await client.getStatus(stream, entryId)).toEqual([{ group: 'billing', state: 'waiting', deliveries: 0 }]);
      expect(await client.getStatus(stream, 'invoice-9')).toEqual([{ group: 'billing', state: 'waiting', deliveries: 0 }]);

      const json = await runCliJson(['--url', fx.redis.url, 'status', stream, 'invoice-9']);
      expect(json).toEqual({ stream, id: 'invoice-9', entryId, groups: [{ group: 'billing', state: 'waiting', deliveries: 0 }] });
      const table = await runCli(['--url', fx.redis.url, 'status', stream, entryId]);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/billing\s+│\s+waiting\s+│\s+0/);
      const missing = await runCli(['--url', fx.redis.url, 'status', 'bad name', '1-0']);
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toMatch(/stream/i);
    } finally {
      await client.close();
    }
  });
});
