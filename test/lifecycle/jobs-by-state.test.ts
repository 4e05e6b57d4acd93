/**
 * listJobs / `redstream jobs --state` (issue 15): each state's list is what Redis holds for
 * it — XPENDING split into active and retrying, XRANGE after the group's last-delivered id,
 * the delayed zset, the dead-letter stream — and pages with the cursor cover it exactly once.
 */
import { KeyBuilder, listJobs, UnrecoverableError, type JobListQuery, type ReceivedMessage } from '@redstream/core';
import { runCliJson } from '../support/cli.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

type Entry = [string, string[]];

describe('jobs by state', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('lists waiting, active, retrying, delayed and dead-lettered entries exactly as XPENDING, XRANGE and ZRANGE hold them', async () => {
    const stream = 'jobs.states';
    const k = keys.forStream(stream);
    const release: (() => void)[] = [];
    const handler = (message: ReceivedMessage) => {
      const { kind } = message.data as { kind: string };
      if (kind === 'fail') throw new Error(`try ${message.deliveryCount} failed`);
      if (kind === 'poison') throw new UnrecoverableError('bad input');
      return new Promise<void>((resolve) => release.push(resolve));
    };
    // Three slots, filled by three held handlers, so later entries wait (retries waiting out their backoff hold no slot).
    await fx.consumer(stream, handler, { consumer: 'c1', shutdownTimeoutMs: 1_000, concurrency: 3, prefetch: 3, readCount: 3, backoff: { delayMs: 60_000, maxDelayMs: 60_000, jitter: false } });
    const failing = await fx.producer.publishMany(stream, [{ data: { kind: 'fail' } }, { data: { kind: 'fail' } }, { data: { kind: 'poison' } }, { data: { kind: 'poison' } }]);
    await waitFor(async () => (await fx.client.sendCommand(['XLEN', k.deadLetter])) === 2 && (await fx.client.sendCommand(['EXISTS', k.job(failing[1].entryId)])) === 1, {
      what: 'two dead letters and two tracked failures',
    });
    const held = await fx.producer.publishMany(stream, [1, 2, 3].map(() => ({ data: { kind: 'hold' } })));
    await waitFor(() => release.length === 3, { what: 'three running handlers' });
    const waiting = await fx.producer.publishMany(stream, [1, 2, 3, 4, 5, 6].map(() => ({ data: { kind: 'hold' } })));
    await fx.producer.publish(stream, { later: 1 }, { delayMs: 60_000 });
    await fx.producer.publish(stream, { later: 2 }, { delayMs: 120_000 });

    const list = (query: Omit<JobListQuery, 'limit'> & { limit?: number }) => listJobs(fx.producer.connection, keys, stream, { limit: 100, ...query });
    const ids = async (query: Omit<JobListQuery, 'limit'>) => (await list(query)).jobs.map((j) => j.entryId);

    const pending = ((await fx.client.sendCommand(['XPENDING', k.stream, 'g', '-', '+', '100'])) as [string, string, number, number][]).map(([id]) => id);
    const retrying = await list({ state: 'retrying' });
    const active = await ids({ state: 'active' });
    expect(retrying.jobs.map((j) => j.entryId)).toEqual(failing.slice(0, 2).map((r) => r.entryId));
    expect(retrying.jobs[0]).toMatchObject({ state: 'retrying', group: 'g', consumer: 'c1', deliveries: 1, error: 'try 1 failed' });
    expect(active).toEqual(held.map((r) => r.entryId));
    expect([...retrying.jobs.map((j) => j.entryId), ...active].sort()).toEqual([...pending].sort());
    // A filtered list pages too: one retrying entry per page, then an empty last page.
    const firstPage = await list({ state: 'retrying', limit: 1 });
    const secondPage = await list({ state: 'retrying', limit: 1, cursor: firstPage.nextCursor! });
    expect([...firstPage.jobs, ...secondPage.jobs].map((j) => j.entryId)).toEqual(retrying.jobs.map((j) => j.entryId));
    expect(await list({ state: 'retrying', limit: 1, cursor: secondPage.nextCursor! })).toMatchObject({ jobs: [], nextCursor: null });

    const [group] = (await fx.client.sendCommand(['XINFO', 'GROUPS', k.stream])) as unknown[][];
    const lastDelivered = String(group[group.indexOf('last-delivered-id') + 1]);
    const unread = ((await fx.client.sendCommand(['XRANGE', k.stream, `(${lastDelivered}`, '+'])) as Entry[]).map(([id]) => id);
    expect(await ids({ state: 'waiting' })).toEqual(unread);
    expect(unread).toEqual(waiting.map((r) => r.entryId));

    const delayed = (await fx.client.sendCommand(['ZRANGE', k.delayed, '0', '-1'])) as string[];
    expect((await list({ state: 'delayed' })).jobs.map((j) => j.messageId)).toEqual(delayed);

    const letters = ((await fx.client.sendCommand(['XRANGE', k.deadLetter, '-', '+'])) as Entry[]).map(([id]) => id);
    const dead = await list({ state: 'dead-lettered' });
    expect(dead.jobs.map((j) => j.deadLetterId)).toEqual(letters);
    expect(dead.jobs.map((j) => j.entryId)).toEqual(failing.slice(2).map((r) => r.entryId));
    expect(dead.jobs[0]).toMatchObject({ group: 'g', deliveries: 1, error: 'bad input' });
    expect(await ids({ state: 'dead-lettered', group: 'other' })).toEqual([]);

    // The CLI prints the same page.
    const cli = await runCliJson(['--url', fx.redis.url, 'jobs', stream, '--state', 'retrying']);
    expect(cli.jobs.map((j: { entryId: string }) => j.entryId)).toEqual(retrying.jobs.map((j) => j.entryId));
    release.forEach((resolve) => resolve());
  });

  it('pages through every state with the cursor, each entry once', async () => {
    const stream = 'jobs.pages';
    const k = keys.forStream(stream);
    await fx.client.sendCommand(['XGROUP', 'CREATE', k.stream, 'g', '$', 'MKSTREAM']);
    const published = await fx.producer.publishMany(stream, Array.from({ length: 23 }, (_, n) => ({ data: { n } })));
    // Several delayed messages due at the same ms: the cursor must tell them apart.
    const dueAt = Date.now() + 60_000;
    for (let n = 0; n < 7; n++) {
      await fx.client.sendCommand(['ZADD', k.delayed, String(dueAt + (n < 5 ? 0 : n)), `m-${n}`]);
    }
    for (const [state, expected] of [
      ['waiting', published.map((r) => r.entryId)],
      ['delayed', Array.from({ length: 7 }, (_, n) => `delayed:m-${n}`)],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await listJobs(fx.producer.connection, keys, stream, { state, limit: 3, cursor });
        seen.push(...page.jobs.map((j) => j.entryId));
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 3));
    }
    await expect(listJobs(fx.producer.connection, keys, stream, { state: 'completed' as never, limit: 3 })).rejects.toThrow(/state.*completed entries are not kept/);
  });
});
