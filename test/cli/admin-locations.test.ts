/** `claim`, `ack`, `trim` and `consumers` with `--priority <level>` and, on a partitioned stream, `--partition <i>`. */
import { KeyBuilder, StreamProducer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { runCli, runCliJson } from '../support/cli.js';

type PendingRow = [string, string, number, number];

describe('claim, ack, trim and consumers on priority levels and partitions', () => {
  const env = usePrivateRedis();
  const keys = new KeyBuilder();
  let producer: StreamProducer;

  beforeAll(async () => {
    producer = await StreamProducer.connect({ url: env.redis.url });
  });
  afterAll(() => producer.close());

  const pendingOf = async (key: string): Promise<PendingRow[]> => (await env.client.sendCommand(['XPENDING', key, 'billing', '-', '+', '100'])) as PendingRow[];
  const createGroup = (key: string) => env.client.sendCommand(['XGROUP', 'CREATE', key, 'billing', '0', 'MKSTREAM']);
  const read = (key: string, consumer: string, count: number) => env.client.sendCommand(['XREADGROUP', 'GROUP', 'billing', consumer, 'COUNT', String(count), 'STREAMS', key, '>']);

  it('--priority <level> claims, acks, trims and lists consumers on that level\'s stream', async () => {
    const stream = 'ops.levels';
    const high = keys.levelStream(stream, 'high');
    for (const key of [high, keys.stream(stream)]) await createGroup(key);
    const published = await producer.publishMany(stream, Array.from({ length: 5 }, (_, i) => ({ data: { i }, options: { priority: 'high' as const } })));
    const ids = published.map((r) => r.entryId);
    await read(high, 'c1', 5);

    expect((await runCliJson(['--url', env.redis.url, 'consumers', stream, '--priority', 'high'])).consumers).toEqual([expect.objectContaining({ name: 'c1', pending: 5 })]);
    expect((await runCliJson(['--url', env.redis.url, 'consumers', stream])).consumers).toEqual([]);

    const one = await runCliJson(['--url', env.redis.url, 'claim', stream, ids[0], '--to', 'c2', '--priority', 'high']);
    expect(one).toMatchObject({ key: high, priority: 'high', claimed: [ids[0]], skipped: [] });
    // Without --priority the ids are looked up on the stream itself, where they are not pending.
    const elsewhere = await runCliJson(['--url', env.redis.url, 'claim', stream, ids[1], '--to', 'c2']);
    expect(elsewhere).toMatchObject({ claimed: [], skipped: [{ id: ids[1], reason: 'not-pending' }] });
    const rest = await runCliJson(['--url', env.redis.url, 'claim', stream, '--from', 'c1', '--to', 'c2', '--priority', 'high']);
    expect(rest.claimed).toEqual(ids.slice(1));
    expect((await pendingOf(high)).map((row) => row[1])).toEqual(['c2', 'c2', 'c2', 'c2', 'c2']);

    const acked = await runCli(['--url', env.redis.url, 'ack', stream, ids[0], ids[1], '--priority', 'high']);
    expect(acked.stdout).toContain(`acknowledged 2 entries of ${high} in group billing`);
    expect((await pendingOf(high)).map((row) => row[0])).toEqual(ids.slice(2));

    const dry = await runCliJson(['--url', env.redis.url, 'trim', stream, '--safe', '--priority', 'high', '--dry-run']);
    expect(dry).toMatchObject({ key: high, priority: 'high', lengthBefore: 5, trimmed: 2, safeMinId: ids[2] });
    const trimmed = await runCliJson(['--url', env.redis.url, 'trim', stream, '--safe', '--priority', 'high']);
    expect(trimmed).toMatchObject({ key: high, trimmed: 2 });
    expect(await env.client.xLen(high)).toBe(3);
  });

  it('--partition <i> acts on one partition; without it ids are refused (exit 2) and trim --safe and consumers cover every partition', async () => {
    const stream = 'ops.parts';
    await runCliJson(['--url', env.redis.url, 'partitions', stream, '3']);
    await producer.publishMany(stream, Array.from({ length: 30 }, (_, i) => ({ data: { i } })));
    const partitionKeys = [0, 1, 2].map((i) => keys.stream(`${stream}#${i}`));
    for (const key of partitionKeys) {
      await createGroup(key);
      await read(key, 'worker-a', 2);
    }
    const [p0, p1] = await Promise.all([pendingOf(partitionKeys[0]), pendingOf(partitionKeys[1])]);

    for (const args of [['ack', stream, p1[0][0]], ['claim', stream, p1[0][0], '--to', 'worker-b'], ['trim', stream, '--maxlen', '5']]) {
      const refused = await runCli(['--url', env.redis.url, ...args]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('--partition <i> (0 to 2)');
    }
    const outOfRange = await runCli(['--url', env.redis.url, 'ack', stream, p1[0][0], '--partition', '3']);
    expect(outOfRange.code).toBe(2);
    expect(await env.client.xLen(partitionKeys[0])).toBe(10);

    const acked = await runCliJson(['--url', env.redis.url, 'ack', stream, p1[0][0], '--partition', '1']);
    expect(acked).toMatchObject({ key: partitionKeys[1], partition: 1, count: 1, acked: [p1[0][0]] });
    const claimed = await runCliJson(['--url', env.redis.url, 'claim', stream, '--from', 'worker-a', '--to', 'worker-b', '--partition', '2']);
    expect(claimed).toMatchObject({ key: partitionKeys[2], partition: 2 });
    expect(claimed.claimed).toHaveLength(2);
    expect((await pendingOf(partitionKeys[2])).map((row) => row[1])).toEqual(['worker-b', 'worker-b']);

    const all = await runCliJson(['--url', env.redis.url, 'consumers', stream]);
    expect(all.consumers).toEqual([expect.objectContaining({ name: 'worker-a', pending: 3 }), expect.objectContaining({ name: 'worker-b', pending: 2 })]);
    const two = await runCliJson(['--url', env.redis.url, 'consumers', stream, '--partition', '2']);
    expect(two).toMatchObject({ key: partitionKeys[2], partition: 2 });
    expect(two.consumers).toEqual([expect.objectContaining({ name: 'worker-a', pending: 0 }), expect.objectContaining({ name: 'worker-b', pending: 2 })]);

    // Partition 0 acked in full (all before its last-delivered entry may go: 1), partition 1 its oldest (1), partition 2 still pending (0).
    await env.client.sendCommand(['XACK', partitionKeys[0], 'billing', ...p0.map((row) => row[0])]);
    const safe = await runCliJson(['--url', env.redis.url, 'trim', stream, '--safe']);
    expect(safe).toMatchObject({ partitionCount: 3, trimmed: 2 });
    expect(safe.partitions.map((p: { partition: number; key: string; trimmed: number; lengthBefore: number }) => [p.partition, p.key, p.lengthBefore, p.trimmed])).toEqual([
      [0, partitionKeys[0], 10, 1], [1, partitionKeys[1], 10, 1], [2, partitionKeys[2], 10, 0],
    ]);
    expect(await Promise.all(partitionKeys.map((key) => env.client.xLen(key)))).toEqual([9, 9, 10]);
    const capped = await runCli(['--url', env.redis.url, 'trim', stream, '--maxlen', '5', '--partition', '2', '--dry-run']);
    expect(capped.stdout).toContain(`partition 2: would remove 5 of 10 entries from ${partitionKeys[2]}`);
  });
});
