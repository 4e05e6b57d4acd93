/**
 * `redstream status` / `jobs` (getJobStatus / listJobs) on a stream with priority levels and
 * on a partitioned stream: a message is found on whichever level or partition holds it.
 */
import { KeyBuilder, partitionFor, StreamProducer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { runCli, runCliJson } from '../support/cli.js';

describe('status and jobs over priority levels and partitions', () => {
  const env = usePrivateRedis();
  const keys = new KeyBuilder();
  let producer: StreamProducer;

  beforeAll(async () => {
    producer = await StreamProducer.connect({ url: env.redis.url });
  });
  afterAll(() => producer.close());

  const createGroup = (key: string) => env.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0', 'MKSTREAM']);
  const readOne = (key: string) => env.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'c1', 'COUNT', '1', 'STREAMS', key, '>']);

  it('finds a message on any priority level, by entry id or idempotency key; jobs lists every level and pages over them', async () => {
    const stream = 'jobs.levels';
    const levels = { high: keys.levelStream(stream, 'high'), normal: keys.stream(stream), low: keys.levelStream(stream, 'low') };
    for (const key of Object.values(levels)) await createGroup(key);
    const high = await producer.publish(stream, { n: 1 }, { priority: 'high' });
    const normal = await producer.publish(stream, { n: 2 });
    const low = await producer.publish(stream, { n: 3 }, { priority: 'low', idempotencyKey: 'order-3' });
    await readOne(levels.high);

    const highStatus = await runCliJson(['--url', env.redis.url, 'status', stream, high.entryId]);
    expect(highStatus).toMatchObject({ entryId: high.entryId, priority: 'high', groups: [{ group: 'g', state: 'active', consumer: 'c1', deliveries: 1 }] });
    const byKey = await runCliJson(['--url', env.redis.url, 'status', stream, 'order-3']);
    expect(byKey).toMatchObject({ entryId: low.entryId, priority: 'low', groups: [{ group: 'g', state: 'waiting' }] });
    const text = await runCli(['--url', env.redis.url, 'status', stream, high.entryId]);
    expect(text.stdout).toContain(`stream ${stream}, ${high.entryId}, priority high`);
    // Narrowed to a level that does not hold it: not found there.
    const narrowed = await runCliJson(['--url', env.redis.url, 'status', stream, high.entryId, '--priority', 'low']);
    expect(narrowed.groups).toEqual([{ group: 'g', state: 'unknown', deliveries: 0 }]);

    const waiting = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting']);
    expect(waiting.jobs.map((j: { entryId: string; priority: string }) => [j.priority, j.entryId])).toEqual([['normal', normal.entryId], ['low', low.entryId]]);
    const active = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'active']);
    expect(active.jobs).toEqual([expect.objectContaining({ entryId: high.entryId, priority: 'high', consumer: 'c1' })]);
    const first = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting', '--limit', '1']);
    expect(first.jobs.map((j: { entryId: string }) => j.entryId)).toEqual([normal.entryId]);
    const second = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting', '--limit', '1', '--cursor', first.nextCursor]);
    expect(second.jobs.map((j: { entryId: string }) => j.entryId)).toEqual([low.entryId]);
    expect(second.nextCursor).toBeNull();
    const table = await runCli(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting']);
    expect(table.stdout).toMatch(/│ entry\s+│ message\s+│ where\s+│/);
    expect(table.stdout).toMatch(new RegExp(`│ ${low.entryId}\\s+│ \\S+\\s+│ low\\s+│`));
  });

  it('finds a message in any partition; an id two partitions hold names both; jobs covers every partition with a cursor', async () => {
    const stream = 'jobs.parts';
    await runCliJson(['--url', env.redis.url, 'partitions', stream, '3']);
    const partitionKeys = [0, 1, 2].map((i) => keys.stream(`${stream}#${i}`));
    for (const key of partitionKeys) await createGroup(key);
    const published = await producer.publishMany(stream, Array.from({ length: 6 }, (_, i) => ({ data: { i }, options: { idempotencyKey: `key-${i}` } })));
    // Routed by the idempotency key; the entry id alone can repeat in several partitions.
    const located = published.map((r, i) => ({ key: `key-${i}`, entryId: r.entryId, partition: partitionFor(`key-${i}`, 3) }));
    for (const { entryId, partition } of located) {
      expect(await env.client.sendCommand(['XRANGE', partitionKeys[partition], entryId, entryId])).toHaveLength(1);
    }
    for (const { key, entryId, partition } of located) {
      expect(await runCliJson(['--url', env.redis.url, 'status', stream, key])).toMatchObject({ entryId, partition, groups: [{ group: 'g', state: 'waiting' }] });
    }
    const target = located[0];
    await readOne(partitionKeys[target.partition]);
    const active = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'active']);
    expect(active.jobs).toEqual([expect.objectContaining({ entryId: target.entryId, partition: target.partition, consumer: 'c1' })]);

    // Pages of 2 over the partitions list every waiting entry exactly once.
    const seen: string[] = [];
    let cursor: string | null | undefined;
    for (let page = 0; page < 10 && cursor !== null; page++) {
      const result = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting', '--limit', '2', ...(cursor ? ['--cursor', cursor] : [])]);
      seen.push(...result.jobs.map((j: { partition: number; entryId: string }) => `${j.partition}/${j.entryId}`));
      cursor = result.nextCursor;
    }
    expect(cursor).toBeNull();
    const expected = located.filter((l) => l !== target).map((l) => `${l.partition}/${l.entryId}`);
    expect(seen.sort()).toEqual(expected.sort());

    // Entry ids are per stream: the same id written to partitions 0 and 2.
    await env.client.sendCommand(['XADD', keys.stream('jobs.same#0'), '5-1', 'data', '{}']);
    await runCliJson(['--url', env.redis.url, 'partitions', 'jobs.same', '3']);
    for (const i of [0, 2]) {
      const key = keys.stream(`jobs.same#${i}`);
      if (i === 2) await env.client.sendCommand(['XADD', key, '5-1', 'data', '{}']);
      await env.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    }
    const both = await runCliJson(['--url', env.redis.url, 'status', 'jobs.same', '5-1']);
    expect(both).toMatchObject({ entryId: '5-1', partition: 0, alsoFoundIn: [{ priority: 'normal', partition: 2 }] });
    const warned = await runCli(['--url', env.redis.url, 'status', 'jobs.same', '5-1']);
    expect(warned.stderr).toContain('the same id is also in partition 2');
    expect(await runCliJson(['--url', env.redis.url, 'status', 'jobs.same', '5-1', '--partition', '2'])).toMatchObject({ partition: 2, groups: [{ state: 'waiting' }] });
    expect((await runCliJson(['--url', env.redis.url, 'status', 'jobs.same', '5-1', '--partition', '2'])).alsoFoundIn).toBeUndefined();
  });

  it('a plain stream answers as before: no priority or partition fields, the same cursors', async () => {
    const stream = 'jobs.plain';
    await createGroup(keys.stream(stream));
    const [a, b] = await producer.publishMany(stream, [{ data: 1 }, { data: 2 }]);
    const status = await runCliJson(['--url', env.redis.url, 'status', stream, a.entryId]);
    expect(status).toEqual({ stream, id: a.entryId, entryId: a.entryId, groups: [{ group: 'g', state: 'waiting', deliveries: 0 }] });
    const page = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting', '--limit', '1']);
    expect(page).toEqual({ stream, state: 'waiting', group: 'g', jobs: [{ entryId: a.entryId, state: 'waiting', messageId: expect.any(String), deliveries: 0 }], nextCursor: a.entryId });
    const next = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'waiting', '--cursor', a.entryId]);
    expect(next.jobs.map((j: { entryId: string }) => j.entryId)).toEqual([b.entryId]);
  });
});
