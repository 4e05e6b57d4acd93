/**
 * The CLI against a real three-primary Redis Cluster: `--cluster` with one seed node in
 * `--url` discovers the others, and every stream is read on the node that owns it.
 */
import { RedisConnection, StreamProducer } from '@redstream/core';
import { runCli } from '../support/cli.js';
import { RedisCluster } from '../support/redis-cluster.js';

describe('redstream --cluster', () => {
  let cluster: RedisCluster;
  let producer: StreamProducer;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    producer = await StreamProducer.connect({ cluster: cluster.options, tracing: false });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await cluster?.stop();
  });

  it('lists streams on every node from one seed node, and inspects one that lives elsewhere', async () => {
    const seed = cluster.nodes[0];
    const streams: string[] = [];
    for (let i = 0; streams.length < 3; i++) {
      const name = `cli.cluster.${i}`;
      const owner = await cluster.nodeOf(RedisConnection.slotOf(`rs:{${name}}`));
      if (!streams.some((s) => s.endsWith(`@${owner.port}`))) streams.push(`${name}@${owner.port}`);
    }
    const names = streams.map((s) => s.split('@')[0]);
    for (const [index, name] of names.entries()) {
      await producer.publishMany(name, Array.from({ length: index + 1 }, (_, n) => ({ data: { n } })));
    }
    const elsewhere = names.find((_, i) => !streams[i].endsWith(`@${seed.port}`))!;

    const listed = await runCli(['--cluster', '--url', seed.url, 'streams', '--json']);
    expect(listed.code).toBe(0);
    const stats = JSON.parse(listed.stdout) as { stream: string; length: number }[];
    expect(stats.map((s) => [s.stream, s.length]).sort()).toEqual(names.map((name, i) => [name, i + 1]).sort());

    const dlq = await runCli(['--cluster', '--url', seed.url, 'dlq', 'list', elsewhere, '--json']);
    expect(dlq.code).toBe(0);

    // Without --cluster the seed node answers MOVED for a stream it does not own.
    const single = await runCli(['--url', seed.url, 'streams', elsewhere]);
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(/MOVED/);
  });

  it('several seed nodes, comma-separated; a password in them is never printed', async () => {
    const urls = cluster.nodes.map((node) => node.url.replace('redis://', 'redis://:not-printed@')).join(',');
    const result = await runCli(['--cluster', '--url', urls, '--connect-timeout', '2s', 'streams']);
    // The nodes have no password: AUTH with one fails, and says so without the password.
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).not.toContain('not-printed');
  });
});
