/**
 * The Nest surface of issue 15: a worker with `schedules: true` runs the schedules a
 * RedisStreamsClient stored (`client.schedule`) and stops them in close(); `client.getStatus`
 * reports the ticks it handled and the progress a handler gave `ctx.reportProgress`.
 */
import 'reflect-metadata';
import { RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { startWorker } from '../nestjs/worker-app.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('Nest worker with schedules: true', () => {
  const env = usePrivateRedis();

  it('publishes a client.schedule tick by tick up to its limit, and stops with the app', async () => {
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    const { app, received } = await startWorker('nest.scheduled', { url: env.redis.url, group: 'g', schedules: { pollMs: 200 } }, {});
    try {
      const saved = await client.schedule('three-ticks', { everyMs: 300, pattern: 'nest.scheduled', data: { build: 'report' }, limit: 3 });
      expect(saved).toMatchObject({ name: 'three-ticks', stream: 'nest.scheduled', runs: 0 });
      await waitFor(() => received.length === 3, { timeoutMs: 10_000, what: 'three ticks handled' });
      expect(received.map((r) => r.data)).toEqual([{ build: 'report' }, { build: 'report' }, { build: 'report' }]);
      expect(received.every((r) => r.headers.schedule === 'three-ticks' && r.messageId.startsWith('schedule:three-ticks:'))).toBe(true);
      const ticks = received.map((r) => Date.parse(r.headers['schedule-tick']));
      expect(ticks).toEqual([ticks[0], ticks[0] + 300, ticks[0] + 600]);
      await waitFor(async () => (await client.getStatus('nest.scheduled', received[2].entryId))[0]?.state === 'completed', { what: 'the last tick completed' });
      expect(await client.unschedule('three-ticks')).toBe(true);
      expect(await client.unschedule('three-ticks')).toBe(false);
    } finally {
      await app.close();
      await client.close();
    }
  });

  it('a producer process with schedules: true runs them instead of the workers, from connect() to close()', async () => {
    const scheduling = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, schedules: { pollMs: 200 } });
    const { app, received } = await startWorker('nest.producer-scheduled', { url: env.redis.url, group: 'g' }, {});
    try {
      await scheduling.schedule('from-the-producer', { everyMs: 300, pattern: 'nest.producer-scheduled', data: { n: 1 }, limit: 2 });
      await waitFor(() => received.length === 2, { timeoutMs: 10_000, what: 'two ticks published by the producer' });
      await scheduling.close();
      await scheduling.connect();
      expect(received.every((r) => r.headers.schedule === 'from-the-producer')).toBe(true);
    } finally {
      await scheduling.close();
      await app.close();
    }
  });

  it('ctx.reportProgress reaches client.getStatus', async () => {
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    const { app, received } = await startWorker('nest.progress', { url: env.redis.url, group: 'g' }, {
      onEvent: async (_data, ctx) => {
        await ctx.reportProgress({ frames: 120, of: 240 });
        await ctx.reportProgress(50);
      },
    });
    try {
      const entryId = await lastValueFrom(client.emit('nest.progress', { render: 1 }));
      await waitFor(async () => (await client.getStatus('nest.progress', entryId))[0]?.state === 'completed', { what: 'completed' });
      expect(received).toHaveLength(1);
      expect(await client.getStatus('nest.progress', entryId)).toEqual([
        { group: 'g', state: 'completed', deliveries: 1, progress: 50, updatedAt: expect.any(Number) },
      ]);
    } finally {
      await app.close();
      await client.close();
    }
  });
});
