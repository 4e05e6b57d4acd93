/**
 * Ordered consumption on a single redis-server (all 6 partitions on one node): the
 * shared scenario of ordered-workers.ts — 20,000 messages over 200 keys, three worker
 * processes, one SIGKILLed mid-run, a fourth started later; publish order per key,
 * nothing lost, each partition owned by exactly one live consumer at the end.
 */
import { KeyBuilder, StreamProducer, setPartitionCount } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { runOrderedScenario } from './ordered-workers.js';

describe('ordered consumption on one redis-server', () => {
  let producer: StreamProducer;
  afterAll(async () => {
    await producer?.close();
  });
  const env = usePrivateRedis();
  beforeAll(async () => {
    producer = await StreamProducer.connect({ url: env.redis.url, logger: collectingLogger() });
  });

  it('keeps every key in publish order through a crash and a late joiner, six partitions on one node', async () => {
    const stream = 'ordered.single';
    await setPartitionCount(producer.connection, new KeyBuilder(), stream, 6);
    const result = await runOrderedScenario(
      { url: env.redis.url, producer, send: (args) => producer.connection.send(args), workerOptions: {} },
      stream,
      6,
    );
    process.stdout.write(`ordered single node: ${result.records} records, ${result.repeats} handled again after the crash\n`);
  }, 240_000);
});
