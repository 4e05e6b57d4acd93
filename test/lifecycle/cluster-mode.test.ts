/**
 * The job lifecycle's Lua steps and reads keep every key of one step in one slot: run against a
 * cluster-mode server (which refuses a cross-slot script or command), a failing handler's
 * tracking write, getJobStatus, listJobs and a scheduler's tick all succeed.
 */
import { getJobStatus, KeyBuilder, listJobs, saveSchedule, Scheduler } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('job lifecycle on a cluster-mode server', () => {
  const fx = useRedis({ cluster: 'all-slots' });
  const keys = new KeyBuilder();

  it('tracks a failure, reads status and lists, and fires a schedule, each step in one slot', async () => {
    const stream = 'cluster.lifecycle';
    const { entryId } = await fx.producer.publish(stream, { n: 1 });
    await fx.consumer(stream, async (message) => {
      await message.reportProgress(5);
      throw new Error('not yet');
    }, { backoff: { delayMs: 60_000, maxDelayMs: 60_000, jitter: false }, shutdownTimeoutMs: 1_000 });
    const [group] = await waitFor(async () => {
      const { groups } = await getJobStatus(fx.producer.connection, keys, stream, entryId);
      return groups[0]?.state === 'retrying' ? groups : undefined;
    }, { what: 'retrying' });
    expect(group).toMatchObject({ error: 'not yet', progress: 5, deliveries: 1 });
    expect((await listJobs(fx.producer.connection, keys, stream, { state: 'retrying', limit: 10 })).jobs.map((j) => j.entryId)).toEqual([entryId]);

    await saveSchedule(fx.producer.connection, keys, 'cluster-tick', { everyMs: 200, stream: 'cluster.ticks', data: {}, limit: 2 });
    const scheduler = new Scheduler(fx.producer.connection, { pollMs: 100, logger: quietLogger });
    scheduler.start();
    try {
      await waitFor(async () => (await fx.client.sendCommand(['XLEN', keys.stream('cluster.ticks')])) === 2, { what: 'two ticks' });
    } finally {
      await scheduler.stop();
    }
  });
});
