/** `partitions`, and `streams` / `pending` / `watch` on a partitioned stream, against a real redis-server. */
import { KeyBuilder, StreamProducer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { runCli, runCliJson } from '../support/cli.js';

describe('redstream partitions and partitioned streams in the operations commands', () => {
  const env = usePrivateRedis();
  const keys = new KeyBuilder();

  /** A stream of `partitions` partitions with `count` entries round-robin and group billing; `read` entries of each partition left pending on worker-a. */
  async function seed(stream: string, partitions: number, count: number, read: number): Promise<void> {
    const set = await runCliJson(['--url', env.redis.url, 'partitions', stream, String(partitions)]);
    expect(set).toMatchObject({ stream, before: 0, after: partitions, changed: true });
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(stream, Array.from({ length: count }, (_, i) => ({ data: { i } })));
    await producer.close();
    for (let i = 0; i < partitions; i++) {
      const key = keys.stream(`${stream}#${i}`);
      await env.client.sendCommand(['XGROUP', 'CREATE', key, 'billing', '0', 'MKSTREAM']);
      if (read > 0) await env.client.sendCommand(['XREADGROUP', 'GROUP', 'billing', 'worker-a', 'COUNT', String(read), 'STREAMS', key, '>']);
    }
  }

  it('partitions <stream> <n> sets and grows the count; shrinking is refused with exit 1', async () => {
    await seed('cli.grow', 2, 0, 0);
    expect(await runCliJson(['--url', env.redis.url, 'partitions', 'cli.grow', '4'])).toMatchObject({ before: 2, after: 4, changed: true });
    const same = await runCli(['--url', env.redis.url, 'partitions', 'cli.grow', '4']);
    expect(same.stdout).toContain('already has 4 partitions');
    const shrink = await runCli(['--url', env.redis.url, 'partitions', 'cli.grow', '3']);
    expect(shrink.code).toBe(1);
    expect(shrink.stderr).toMatch(/has 4 partitions; 3 would drop partitions .* shrinking is refused/);
    expect(await env.client.sendCommand(['HGET', keys.forStream('cli.grow').meta, 'partitions'])).toBe('4');
    const bad = await runCli(['--url', env.redis.url, 'partitions', 'cli.grow', '0']);
    expect(bad.code).toBe(2);
    const grown = await runCli(['--url', env.redis.url, 'partitions', 'cli.grow', '6']);
    expect(grown.stdout).toMatch(/grew from 4 to 6 partitions/);
  });

  it('partitions <stream> shows length, pending, lag and owner per partition', async () => {
    await seed('cli.show', 3, 30, 2);
    await env.client.sendCommand(['SET', keys.forPartition('cli.show', 1).owner('billing'), JSON.stringify({ owner: 'worker-a', token: 7 }), 'PX', '60000']);
    const shown = await runCliJson(['--url', env.redis.url, 'partitions', 'cli.show']);
    expect(shown).toMatchObject({ stream: 'cli.show', partitions: 3, groups: ['billing'] });
    expect(shown.rows).toEqual([0, 1, 2].map((index) =>
      expect.objectContaining({
        index,
        key: `rs:{cli.show#${index}}`,
        length: 10,
        groups: [expect.objectContaining({ name: 'billing', pending: 2, lag: 8, owner: index === 1 ? expect.objectContaining({ owner: 'worker-a', token: '7' }) : null })],
      }),
    ));
    const table = await runCli(['--url', env.redis.url, 'partitions', 'cli.show']);
    expect(table.stdout).toMatch(/│ 1\s+│ rs:\{cli\.show#1\}\s+│ 10\s+│ 0\s+│ billing\s+│ 2\s+│ 8\s+│ worker-a \(token 7\), \d+s left/);
    const unpartitioned = await runCli(['--url', env.redis.url, 'partitions', 'cli.none']);
    expect(unpartitioned.code).toBe(1);
    expect(unpartitioned.stderr).toContain('stream cli.none is not partitioned');
  });

  it('streams, pending and watch show a partitioned stream as one line, per partition with --partitions', async () => {
    await seed('cli.total', 4, 40, 3);
    const [total] = await runCliJson(['--url', env.redis.url, 'streams', 'cli.total']);
    expect(total).toMatchObject({ stream: 'cli.total', key: 'rs:{cli.total}', length: 40, partitionCount: 4, groups: [expect.objectContaining({ name: 'billing', pending: 12, lag: 28 })] });
    expect(total.partitions).toBeUndefined();
    const [detailed] = await runCliJson(['--url', env.redis.url, 'streams', 'cli.total', '--partitions']);
    expect(detailed.partitions.map((p: { index: number; length: number }) => [p.index, p.length])).toEqual([[0, 10], [1, 10], [2, 10], [3, 10]]);
    const table = await runCli(['--url', env.redis.url, 'streams', 'cli.total']);
    expect(table.stdout).toMatch(/│ cli\.total \(4 partitions\)\s+│ 40\s+│ billing\s+│ running\s+│ 1\s+│ 12\s+│ 28\s+│/);
    expect(table.stdout).not.toContain('cli.total#');
    const perPartition = await runCli(['--url', env.redis.url, 'streams', 'cli.total', '--partitions']);
    expect(perPartition.stdout).toMatch(/│ {3}cli\.total#2\s+│ 10\s+│ billing\s+│ running\s+│ 1\s+│ 3\s+│ 7\s+│/);

    const pending = await runCliJson(['--url', env.redis.url, 'pending', 'cli.total', '--limit', '5']);
    expect(pending).toMatchObject({ stream: 'cli.total', group: 'billing', count: 12, partitionCount: 4, consumers: [{ name: 'worker-a', pending: 12 }] });
    expect(pending.entries).toHaveLength(5);
    expect(pending.entries[0]).toEqual(expect.objectContaining({ consumer: 'worker-a', partition: expect.any(Number) }));
    const pendingDetail = await runCliJson(['--url', env.redis.url, 'pending', 'cli.total', '--partitions']);
    expect(pendingDetail.partitions.map((p: { index: number; count: number }) => [p.index, p.count])).toEqual([[0, 3], [1, 3], [2, 3], [3, 3]]);
    const pendingTable = await runCli(['--url', env.redis.url, 'pending', 'cli.total', '--show-data']);
    expect(pendingTable.stdout).toMatch(/group billing: 12 pending/);
    expect(pendingTable.stdout).toMatch(/\{"i":\d+\}/);

    const consumers = await runCliJson(['--url', env.redis.url, 'consumers', 'cli.total']);
    expect(consumers.consumers).toEqual([expect.objectContaining({ name: 'worker-a', pending: 12 })]);

    const watched = await runCli(['--url', env.redis.url, 'watch', 'cli.total', '--iterations', '1', '--json']);
    const snapshot = JSON.parse(watched.stdout.trim());
    expect(snapshot.streams[0]).toMatchObject({ stream: 'cli.total', length: 40, partitionCount: 4, consumers: { billing: [expect.objectContaining({ name: 'worker-a', pending: 12 })] } });
  });
});
