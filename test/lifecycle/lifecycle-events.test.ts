/**
 * Lifecycle events (`events: true`) against real Redis: a late watcher gets the state first
 * (progress included), then the later progress values in order, and completes at completed;
 * a poison entry's watch completes at dead-lettered after its retrying events; client.events
 * sees every transition; with events off nothing is written.
 */
import 'reflect-metadata';
import { getJobStatus, KeyBuilder, StreamConsumer, type LifecycleEvent, type ReceivedMessage } from '@redstream/core';
import { RedisStreamsClient, type JobWatchEvent } from '@redstream/nestjs';
import { lastValueFrom, take, toArray } from 'rxjs';
import { quietLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('lifecycle events', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();
  let client: RedisStreamsClient;
  beforeAll(() => {
    client = new RedisStreamsClient({ url: fx.redis.url, logger: quietLogger });
  });
  afterAll(async () => {
    await client.close();
  });

  it('a late watcher sees the state first, then progress in order, and completes at completed', async () => {
    const stream = 'events.progress';
    const steps: (() => void)[] = [];
    const step = () => new Promise<void>((resolve) => steps.push(resolve));
    await fx.consumer(stream, async (message: ReceivedMessage) => {
      await message.reportProgress(10);
      await step();
      await message.reportProgress(50);
      await step();
      await message.reportProgress({ percent: 90, phase: 'upload' });
      await step();
    }, { events: true, consumer: 'c1', shutdownTimeoutMs: 1_000 });
    const { entryId } = await fx.producer.publish(stream, { video: 1 });
    await waitFor(() => steps.length === 1, { what: 'progress 10 reported' });

    const seen: JobWatchEvent[] = [];
    const done = new Promise<void>((resolve, reject) => client.watch(stream, entryId).subscribe({ next: (e) => seen.push(e), complete: resolve, error: reject }));
    await waitFor(() => seen.length >= 1, { what: 'the snapshot' });
    expect(seen[0]).toMatchObject({ entryId, group: 'g', state: 'active', deliveries: 1, consumer: 'c1', progress: 10 });
    expect(seen[0].eventId).toBeUndefined();
    for (let n = 0; n < 3; n++) {
      await waitFor(() => steps.length > 0, { what: `step ${n}` });
      steps.shift()!();
    }
    await done;
    const after = seen.slice(1).filter((e) => !(e.state === 'progress' && e.progress === 10));
    expect(after.map((e) => [e.state, e.progress])).toEqual([
      ['progress', 50],
      ['progress', { percent: 90, phase: 'upload' }],
      ['completed', undefined],
    ]);
    expect(after.every((e) => typeof e.eventId === 'string' && e.group === 'g' && e.consumer === 'c1')).toBe(true);
  });

  it('a poison entry: retrying events with the error, the watch completes at dead-lettered; events() sees every transition', async () => {
    const stream = 'events.poison';
    const all = lastValueFrom(client.events(stream).pipe(take(6), toArray()));
    // events() starts from the newest event when it subscribes: wait until it is reading.
    await waitFor(async () => ((await fx.client.sendCommand(['CLIENT', 'LIST'])) as string).includes('name=redstream-events'), { what: 'events reader' });
    await fx.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), 'g', '$', 'MKSTREAM']);
    const { entryId } = await fx.producer.publish(stream, { bad: true });
    const seen: JobWatchEvent[] = [];
    const watched = new Promise<JobWatchEvent[]>((resolve, reject) =>
      client.watch(stream, entryId).subscribe({ next: (e) => seen.push(e), complete: () => resolve(seen), error: reject }),
    );
    await waitFor(() => seen.length === 1, { what: 'the snapshot' });
    expect(seen[0]).toEqual({ entryId, group: 'g', state: 'waiting', deliveries: 0 });
    await fx.consumer(stream, async () => {
      throw new Error('corrupt input');
    }, { events: true, maxDeliveries: 3, backoff: { delayMs: 50, maxDelayMs: 50, jitter: false } });
    const events = (await watched).filter((e) => e.eventId !== undefined);
    expect(events.map((e) => `${e.state}:${e.deliveries}`)).toEqual(['active:1', 'retrying:1', 'active:2', 'retrying:2', 'active:3', 'dead-lettered:3']);
    expect(events.filter((e) => e.state !== 'active').every((e) => e.error === 'corrupt input')).toBe(true);
    const fromEvents: LifecycleEvent[] = await all;
    expect(fromEvents.map((e) => e.state)).toEqual(['active', 'retrying', 'active', 'retrying', 'active', 'dead-lettered']);
    expect(fromEvents.every((e) => e.entryId === entryId && e.stream === stream)).toBe(true);
  });

  it('two level entries with the same id: each event says its level, and a watch follows only its own entry', async () => {
    // Two XADDs in the same millisecond give two level streams the same entry id; written here by hand.
    const stream = 'events.levels';
    const id = '1700000000000-3';
    for (const level of ['high', 'normal', 'low'] as const) {
      await fx.client.sendCommand(['XGROUP', 'CREATE', keys.levelStream(stream, level), 'g', '0', 'MKSTREAM']);
    }
    for (const level of ['high', 'normal'] as const) {
      await fx.client.sendCommand(['XADD', keys.levelStream(stream, level), id, 'data', JSON.stringify({ level }), 'id', `job-${level}`, 'ts', '1700000000000']);
    }
    const watchedLevel = (await getJobStatus(fx.producer.connection, keys, stream, id)).priority;
    const seen: JobWatchEvent[] = [];
    const watched = new Promise<JobWatchEvent[]>((resolve, reject) =>
      client.watch(stream, id).subscribe({ next: (e) => seen.push(e), complete: () => resolve(seen), error: reject }),
    );
    await waitFor(() => seen.length === 1, { what: 'the snapshot' });
    await fx.consumer(stream, async (message: ReceivedMessage) => {
      if ((message.data as { level: string }).level === 'high') throw new Error('the high one failed');
      await message.reportProgress(50);
    }, { events: true, priority: {}, maxDeliveries: 2, backoff: { delayMs: 20, maxDelayMs: 20, jitter: false } });
    const events = (await watched).filter((e) => e.eventId !== undefined).map((e) => `${e.state}:${e.deliveries}`);
    expect(events).toEqual(watchedLevel === 'high' ? ['active:1', 'retrying:1', 'active:2', 'dead-lettered:2'] : ['active:1', 'progress:1', 'completed:1']);
    await waitFor(async () => Number(await fx.client.sendCommand(['XLEN', keys.forStream(stream).events])) === 7, { what: 'every event written' });
    const raw = (await fx.client.sendCommand(['XRANGE', keys.forStream(stream).events, '-', '+'])) as [string, string[]][];
    const byLevel = (level: string | undefined) =>
      raw.map(([, f]) => Object.fromEntries(Array.from({ length: f.length / 2 }, (_, i) => [f[2 * i], f[2 * i + 1]]))).filter((f) => f.priority === level).map((f) => f.state);
    expect(byLevel('high')).toEqual(['active', 'retrying', 'active', 'dead-lettered']);
    expect(byLevel(undefined)).toEqual(['active', 'progress', 'completed']);
  });

  it('a partitioned stream: events() follows every partition, each event says its partition, a watch follows only its own entry', async () => {
    const stream = 'events.partitioned';
    const options = { events: true, partitions: { [stream]: 2 } };
    // A first consumer stores the partition count and creates the groups, then stops.
    await (await fx.consumer(stream, () => undefined, options)).stop();
    // The same entry id on both partitions, written by hand (each partition numbers its own entries).
    const id = '1700000000000-5';
    for (const p of [0, 1]) await fx.client.sendCommand(['XADD', keys.stream(`${stream}#${p}`), id, 'data', JSON.stringify({ p }), 'id', `job-${p}`, 'ts', '1700000000000']);
    const watchedPartition = (await getJobStatus(fx.producer.connection, keys, stream, id)).partition;
    const all: LifecycleEvent[] = [];
    const following = client.events(stream).subscribe((e) => void all.push(e));
    const seen: JobWatchEvent[] = [];
    const watched = new Promise<JobWatchEvent[]>((resolve, reject) =>
      client.watch(stream, id).subscribe({ next: (e) => seen.push(e), complete: () => resolve(seen), error: reject }),
    );
    try {
      await waitFor(() => seen.length === 1, { what: 'the snapshot' });
      await fx.consumer(stream, async (message: ReceivedMessage) => {
        if ((message.data as { p: number }).p === 1) await message.reportProgress(50);
      }, options);
      const events = (await watched).filter((e) => e.eventId !== undefined).map((e) => e.state);
      expect(events).toEqual(watchedPartition === 1 ? ['active', 'progress', 'completed'] : ['active', 'completed']);
      await waitFor(() => all.filter((e) => e.state === 'completed').length === 2, { what: 'both partitions\' events' });
      expect(all.map((e) => `${e.partition}:${e.state}`).sort()).toEqual(['0:active', '0:completed', '1:active', '1:completed', '1:progress']);
      expect(all.every((e) => e.entryId === id && e.stream === stream)).toBe(true);
      expect(await fx.client.sendCommand(['EXISTS', keys.forStream(`${stream}#0`).events, keys.forStream(`${stream}#1`).events])).toBe(0);
    } finally {
      following.unsubscribe();
    }
  });

  it('a watch of a finished entry completes at once with its state; events off writes nothing', async () => {
    const stream = 'events.off';
    const { entryId } = await fx.producer.publish(stream, { n: 1 });
    await fx.consumer(stream, () => undefined);
    await waitFor(async () => (await fx.pendingCount(stream)) === 0 && (await client.getStatus(stream, entryId))[0]?.state === 'completed', { what: 'completed' });
    expect(await lastValueFrom(client.watch(stream, entryId).pipe(toArray()))).toEqual([{ entryId, group: 'g', state: 'completed', deliveries: 1 }]);
    expect(await fx.client.sendCommand(['EXISTS', keys.forStream(stream).events])).toBe(0);
    await expect(lastValueFrom(client.watch(stream, 'no-such-key'))).rejects.toThrow(/no entry found for that id/);
    const { entryId: early } = await fx.producer.publish('events.no-group', { n: 1 });
    await expect(lastValueFrom(client.watch('events.no-group', early))).rejects.toThrow(/no consumer group yet/);
  });

  it.each([
    ['on for one handler of a consumer that has them off', {}, { events: true }, {}],
    ['off for one handler of a consumer that has them on', { events: true }, {}, { events: false }],
  ])('events per handler: %s', async (_name, consumerOptions, withEvents, withoutEvents) => {
    const [on, off] = [`events.per-handler.on.${Object.keys(withEvents).length}`, `events.per-handler.off.${Object.keys(withoutEvents).length}`];
    const consumer = new StreamConsumer({ url: fx.redis.url, group: 'g', logger: quietLogger, ...consumerOptions })
      .subscribe(on, () => undefined, withEvents)
      .subscribe(off, () => undefined, withoutEvents);
    await consumer.start();
    try {
      await fx.producer.publish(on, { n: 1 });
      await fx.producer.publish(off, { n: 1 });
      await waitFor(async () => (await fx.pendingCount(on)) === 0 && (await fx.pendingCount(off)) === 0, { what: 'both handled' });
      await waitFor(async () => Number(await fx.client.sendCommand(['XLEN', keys.forStream(on).events])) === 2, { what: 'active and completed' });
      expect(await fx.client.sendCommand(['EXISTS', keys.forStream(off).events])).toBe(0);
    } finally {
      await consumer.stop();
    }
  });
});
