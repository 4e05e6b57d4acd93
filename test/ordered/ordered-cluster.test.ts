/**
 * Ordered consumption on a real three-primary Redis Cluster started by the test, with 6
 * partitions spread over all three primaries: the shared scenario of ordered-workers.ts —
 * 20,000 messages over 200 keys through three worker processes, one SIGKILLed mid-run, a
 * fourth started later; every key in publish order, nothing lost, each partition owned by
 * exactly one live consumer at the end.
 */
import { KeyBuilder, RedisConnection, StreamProducer, setPartitionCount } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { RedisCluster } from '../support/redis-cluster.js';
import { runOrderedScenario } from './ordered-workers.js';

/** A stream name whose 6 partitions' slots fall in all three primaries' ranges (redis-cli splits 16384 slots evenly). */
function streamOverThreeShards(base: string, partitions: number): string {
  const keys = new KeyBuilder();
  const rangeOf = (slot: number) => Math.min(2, Math.floor(slot / (16384 / 3)));
  for (let i = 0; ; i += 1) {
    const name = `${base}.${i}`;
    const ranges = new Set(Array.from({ length: partitions }, (_, p) => rangeOf(RedisConnection.slotOf(keys.forPartition(name, p).stream))));
    if (ranges.size === 3) return name;
  }
}

describe('ordered consumption on a three-primary Redis Cluster', () => {
  let cluster: RedisCluster;
  let producer: StreamProducer;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    producer = await StreamProducer.connect({ cluster: cluster.options, logger: collectingLogger() });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await cluster?.stop();
  });

  it('keeps every key in publish order through a crash and a late joiner, six partitions over three primaries', async () => {
    const stream = streamOverThreeShards('ordered.cluster', 6);
    const keys = new KeyBuilder();
    const nodes = await Promise.all(Array.from({ length: 6 }, (_, p) => cluster.nodeOf(RedisConnection.slotOf(keys.forPartition(stream, p).stream))));
    expect(new Set(nodes.map((node) => node.port)).size).toBe(3);
    await setPartitionCount(producer.connection, keys, stream, 6);
    const result = await runOrderedScenario(
      { url: cluster.nodes[0].url, producer, send: (args) => producer.connection.send(args), workerOptions: { cluster: cluster.options } },
      stream,
      6,
    );
    process.stdout.write(`ordered cluster: ${result.records} records, ${result.repeats} handled again after the crash\n`);
  }, 240_000);
});
