/**
 * The README's ACL additions ("Security") for rate limits, schedules, lifecycle events and the
 * CLI's job and schedule commands, measured the way acl-roles.test.ts measures the base roles:
 * each feature runs as a user with exactly its role's rules plus the additions, and ACL LOG
 * records no refusal afterwards.
 */
import 'reflect-metadata';
import { KeyBuilder, RateLimitedError, saveSchedule, Scheduler, StreamConsumer, StreamProducer, type LifecycleEvent } from '@redstream/core';
import { RedisStreamsClient, type JobWatchEvent } from '@redstream/nestjs';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import {
  aclRefusals,
  ACL_ROLES,
  OPERATOR_STATUS_ADDITIONS,
  OPERATOR_UNSCHEDULE_ADDITIONS,
  RATE_LIMIT_WORKER_ADDITIONS,
  SCHEDULE_PRODUCER_ADDITIONS,
  SCHEDULING_WORKER_ADDITIONS,
  setAclUser,
  WATCH_ADDITIONS,
} from '../support/acl-roles.js';
import { runCli } from '../support/cli.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('least-privilege ACL users: the additions of rate limits, schedules, lifecycle events and the CLI\'s job commands', () => {
  const env = usePrivateRedis();
  const keys = new KeyBuilder();
  const users = {
    limited: `${ACL_ROLES.worker} ${RATE_LIMIT_WORKER_ADDITIONS}`,
    scheduling: `${ACL_ROLES.worker} ${SCHEDULING_WORKER_ADDITIONS}`,
    scheduler: `${ACL_ROLES.producer} ${SCHEDULE_PRODUCER_ADDITIONS}`,
    worker: ACL_ROLES.worker,
    watcher: `${ACL_ROLES.producer} ${WATCH_ADDITIONS}`,
    reader: `${ACL_ROLES.operator} ${OPERATOR_STATUS_ADDITIONS}`,
    unscheduler: `${ACL_ROLES.operator} ${OPERATOR_UNSCHEDULE_ADDITIONS}`,
  };
  const urlFor = (user: keyof typeof users) => env.redis.url.replace('redis://', `redis://${user}:${user}-secret@`);
  const refusals = () => aclRefusals(env.client);
  let producer: StreamProducer;

  beforeAll(async () => {
    for (const [user, rules] of Object.entries(users)) {
      await setAclUser(env.client, user, rules);
    }
    producer = await StreamProducer.connect({ url: env.redis.url, logger: collectingLogger() });
  });
  beforeEach(async () => {
    await env.client.sendCommand(['ACL', 'LOG', 'RESET']);
  });
  afterAll(async () => {
    await producer?.close();
  });

  it('a rate-limited worker whose handler throws RateLimitedError, with the worker\'s rules plus the rate-limit additions', async () => {
    const stream = 'acl.limited';
    const attempts: string[] = [];
    const consumer = new StreamConsumer({ url: urlFor('limited'), group: 'g', rateLimit: { max: 100, perMs: 1_000 }, logger: collectingLogger() }).subscribe(stream, (message) => {
      const { n } = message.data as { n: number };
      attempts.push(`${n}`);
      if (n === 0 && attempts.filter((a) => a === '0').length === 1) throw new RateLimitedError(200);
    });
    try {
      await consumer.start();
      await producer.publishMany(stream, Array.from({ length: 10 }, (_, n) => ({ data: { n } })));
      await waitFor(() => new Set(attempts).size === 10 && attempts.filter((a) => a === '0').length === 2, { timeoutMs: 10_000, what: 'ten handled, the first once held back' });
      await waitFor(async () => ((await env.client.sendCommand(['XPENDING', keys.stream(stream), 'g'])) as [number])[0] === 0, { what: 'every entry acked' });
    } finally {
      await consumer.stop();
    }
    expect(await refusals()).toEqual([]);
  });

  it('a producer stores and removes a schedule and a worker runs it, each with its role\'s rules plus the schedule additions', async () => {
    const stream = 'acl.scheduled';
    const client = new RedisStreamsClient({ url: urlFor('scheduler'), logger: collectingLogger() });
    const handled: unknown[] = [];
    const consumer = new StreamConsumer({ url: urlFor('scheduling'), group: 'g', logger: collectingLogger() }).subscribe(stream, (message) => void handled.push(message.data));
    let scheduler: Scheduler | undefined;
    try {
      await consumer.start();
      scheduler = new Scheduler(consumer.connection, { pollMs: 100, logger: collectingLogger() });
      scheduler.start();
      await client.schedule('acl-tick', { pattern: stream, everyMs: 200, data: { tick: true }, limit: 2 });
      await waitFor(() => handled.length === 2, { timeoutMs: 10_000, what: 'both ticks handled' });
      expect(await client.unschedule('acl-tick')).toBe(true);
    } finally {
      await scheduler?.stop();
      await consumer.stop();
      await client.close();
    }
    expect(handled).toEqual([{ tick: true }, { tick: true }]);
    expect(await refusals()).toEqual([]);
  });

  it('a client watches a message and reads a stream\'s events with the producer\'s rules plus the watch additions; the worker writes them with its own', async () => {
    const stream = 'acl.watched';
    const client = new RedisStreamsClient({ url: urlFor('watcher'), logger: collectingLogger() });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const consumer = new StreamConsumer({ url: urlFor('worker'), group: 'g', events: true, logger: collectingLogger() }).subscribe(stream, async (message) => {
      await message.reportProgress(50);
      await gate;
    });
    try {
      await consumer.start();
      const events = new Promise<LifecycleEvent[]>((resolve, reject) => {
        const seen: LifecycleEvent[] = [];
        const subscription = client.events(stream).subscribe({
          next: (event) => {
            seen.push(event);
            if (event.state === 'completed') {
              subscription.unsubscribe();
              resolve(seen);
            }
          },
          error: reject,
        });
      });
      const { entryId } = await producer.publish(stream, { video: 1 });
      const watched = lastValueFrom(client.watch(stream, entryId).pipe(toArray()));
      const first = await firstValueFrom(client.watch(stream, entryId));
      expect(first).toMatchObject({ entryId, group: 'g' } satisfies Partial<JobWatchEvent>);
      release();
      expect((await watched).at(-1)).toMatchObject({ entryId, group: 'g', state: 'completed' });
      expect((await events).map((event) => event.state)).toContain('completed');
    } finally {
      release();
      await consumer.stop();
      await client.close();
    }
    expect(await refusals()).toEqual([]);
  });

  it('the operator reads job status, job lists and schedules, and removes a schedule, with the CLI and the README\'s additions', async () => {
    const stream = 'acl.inspected';
    await env.client.sendCommand(['XGROUP', 'CREATE', keys.stream(stream), 'g', '0', 'MKSTREAM']);
    const { entryId } = await producer.publish(stream, { order: 1 });
    await producer.publish(stream, { order: 2 }, { idempotencyKey: 'order-2' });
    await producer.publish(stream, { order: 3 }, { delayMs: 600_000 });
    await saveSchedule(producer.connection, keys, 'acl-nightly', { cron: '0 3 * * *', stream, data: { report: true } });
    const reader = urlFor('reader');
    for (const args of [
      ['status', stream, entryId],
      ['status', stream, 'order-2'],
      ...['waiting', 'active', 'retrying', 'delayed', 'dead-lettered'].map((state) => ['jobs', stream, '--state', state]),
      ['schedules'],
    ]) {
      const result = await runCli(['--url', reader, ...args, '--json']);
      expect({ args, code: result.code, stderr: result.stderr.replace(/redstream: WARNING.*\n/g, '') }).toEqual({ args, code: 0, stderr: '' });
    }
    const removed = await runCli(['--url', urlFor('unscheduler'), 'unschedule', 'acl-nightly']);
    expect({ code: removed.code, stderr: removed.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await refusals()).toEqual([]);
  });
});
