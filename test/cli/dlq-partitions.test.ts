/**
 * `redstream dlq` on a partitioned stream, against dead letters written by a real consumer:
 * every partition's dead-letter stream is listed, replayed (each to its own partition) and
 * purged; `--partition <i>` narrows to one.
 */
import { KeyBuilder, StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';
import { quietLogger } from '../support/quiet-logger.js';
import { runCli, runCliJson } from '../support/cli.js';

type Entry = [string, string[]];

const PARTITIONS = 3;

describe('redstream dlq on a partitioned stream', () => {
  const env = usePrivateRedis();
  const keys = new KeyBuilder();
  const dlqOf = (stream: string, i: number): string => keys.forPartition(stream, i).deadLetter;
  const streamOf = (stream: string, i: number): string => keys.stream(`${stream}#${i}`);
  const lengths = (stream: string, key: (s: string, i: number) => string): Promise<number[]> =>
    Promise.all(Array.from({ length: PARTITIONS }, (_, i) => env.client.xLen(key(stream, i))));

  /** `count` messages round-robin over 3 partitions, each rejected once by group billing: `count / 3` dead letters per partition. */
  async function deadLetter(stream: string, count: number): Promise<void> {
    await runCliJson(['--url', env.redis.url, 'partitions', stream, String(PARTITIONS)]);
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(stream, Array.from({ length: count }, (_, i) => ({ data: { n: i } })));
    await producer.close();
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'billing', logger: quietLogger, concurrency: 64 }).subscribe(stream, () => {
      throw new UnrecoverableError('rejected by billing');
    });
    await consumer.start();
    await waitFor(async () => (await lengths(stream, dlqOf)).reduce((a, b) => a + b, 0) === count, { timeoutMs: 60_000, what: 'dead letters' });
    await consumer.stop();
  }

  it('list covers every partition, naming each one; --partition narrows; show finds an id in its partition', async () => {
    const stream = 'dlq.parts.list';
    await deadLetter(stream, 30);
    expect(await lengths(stream, dlqOf)).toEqual([10, 10, 10]);

    const list = await runCliJson(['--url', env.redis.url, 'dlq', 'list', stream, '--limit', '100']);
    expect(list).toMatchObject({ stream, partitionCount: 3, total: 30 });
    expect(list.partitions).toEqual([0, 1, 2].map((i) => ({ partition: i, key: dlqOf(stream, i), total: 10 })));
    expect(list.deadLetters).toHaveLength(30);
    const perPartition = [0, 1, 2].map((i) => list.deadLetters.filter((d: { partition: number }) => d.partition === i).length);
    expect(perPartition).toEqual([10, 10, 10]);
    expect(list.deadLetters[0]).toMatchObject({ group: 'billing', reason: 'unrecoverable', partition: expect.any(Number) });

    // jobs --state dead-lettered reads the same dead-letter streams, a page at a time.
    const jobs = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'dead-lettered', '--limit', '25']);
    expect(jobs.jobs).toHaveLength(25);
    const rest = await runCliJson(['--url', env.redis.url, 'jobs', stream, '--state', 'dead-lettered', '--limit', '25', '--cursor', jobs.nextCursor]);
    expect(rest).toMatchObject({ nextCursor: null });
    const listed = [...jobs.jobs, ...rest.jobs].map((j: { partition: number; deadLetterId: string }) => `${j.partition}/${j.deadLetterId}`);
    expect(listed.sort()).toEqual(list.deadLetters.map((d: { partition: number; id: string }) => `${d.partition}/${d.id}`).sort());

    const one = await runCliJson(['--url', env.redis.url, 'dlq', 'list', stream, '--partition', '2']);
    expect(one).toMatchObject({ total: 10, partitions: [{ partition: 2, key: dlqOf(stream, 2), total: 10 }] });
    expect(one.deadLetters.every((d: { partition: number }) => d.partition === 2)).toBe(true);

    const table = await runCli(['--url', env.redis.url, 'dlq', 'list', stream, '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toBe(`30 dead letters in ${dlqOf(stream, 0)} … ${dlqOf(stream, 2)} (3 partitions of ${stream})`);
    expect(table.stdout).toMatch(/│ id\s+│ partition\s+│ original id/);

    const target = one.deadLetters[0];
    const shown = await runCliJson(['--url', env.redis.url, 'dlq', 'show', stream, target.id, '--partition', '2']);
    expect(shown).toMatchObject({ id: target.id, partition: 2, originalId: target.originalId });
    // Ids are per partition: one only partition 1 has is found there; one two partitions have needs --partition.
    const ids = 'dlq.parts.ids';
    await runCliJson(['--url', env.redis.url, 'partitions', ids, String(PARTITIONS)]);
    const failure = ['dlqGroup', 'billing', 'dlqReason', 'unrecoverable', 'data', '{}'];
    await env.client.sendCommand(['XADD', dlqOf(ids, 1), '1-2', ...failure]);
    await env.client.sendCommand(['XADD', dlqOf(ids, 0), '1-3', ...failure]);
    await env.client.sendCommand(['XADD', dlqOf(ids, 1), '1-3', ...failure]);
    const shownText = await runCli(['--url', env.redis.url, 'dlq', 'show', ids, '1-2']);
    expect(shownText.stdout).toMatch(/^partition\s+1$/m);
    const ambiguous = await runCli(['--url', env.redis.url, 'dlq', 'show', ids, '1-3']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`dead letter id 1-3 is in partitions 0, 1 of ${ids} (ids are per partition); name one with --partition <i>`);
    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'show', ids, '1-3', '--partition', '0'])).partition).toBe(0);

    const outOfRange = await runCli(['--url', env.redis.url, 'dlq', 'list', stream, '--partition', '3']);
    expect(outOfRange.code).toBe(2);
    expect(outOfRange.stderr).toContain('has 3 partitions (0 to 2); --partition 3 is none of them');
    const plain = await runCli(['--url', env.redis.url, 'dlq', 'list', 'dlq.not-partitioned', '--partition', '0']);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toContain('is not partitioned');
  });

  it('replay writes each dead letter back to the partition it came from, exactly once', async () => {
    const stream = 'dlq.parts.replay';
    await deadLetter(stream, 30);
    const before = await Promise.all([0, 1, 2].map(async (i) => (await env.client.sendCommand(['XRANGE', streamOf(stream, i), '-', '+'])) as Entry[]));
    const idsOf = (entries: Entry[]): string[] => entries.map(([, fields]) => fields[fields.indexOf('id') + 1]);

    const dry = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream, '--partition', '1', '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, count: 10, partitions: [{ partition: 1, count: 10 }] });

    const first = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream, '--partition', '1']);
    expect(first).toMatchObject({ replayed: 10, alreadyReplayed: 0, gone: 0, notFound: 0, partitions: [{ partition: 1, key: streamOf(stream, 1), replayed: 10 }] });
    expect(await lengths(stream, dlqOf)).toEqual([10, 0, 10]);
    expect(await lengths(stream, streamOf)).toEqual([10, 20, 10]);

    const rest = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream]);
    expect(rest).toMatchObject({ partitionCount: 3, replayed: 20, alreadyReplayed: 0, gone: 0, notFound: 0 });
    expect(rest.partitions.map((p: { partition: number; replayed: number }) => [p.partition, p.replayed])).toEqual([[0, 10], [1, 0], [2, 10]]);
    expect(await lengths(stream, dlqOf)).toEqual([0, 0, 0]);
    for (const i of [0, 1, 2]) {
      const after = (await env.client.sendCommand(['XRANGE', streamOf(stream, i), '-', '+'])) as Entry[];
      // The replayed copies are the partition's own messages, each once.
      expect(idsOf(after.slice(10)).sort()).toEqual(idsOf(before[i]).sort());
    }
  });

  it('replay and purge by id need --partition (ids collide across partitions); purge --all purges every partition with its count', async () => {
    const stream = 'dlq.parts.purge';
    await deadLetter(stream, 30);
    const list = await runCliJson(['--url', env.redis.url, 'dlq', 'list', stream, '--partition', '0', '--limit', '2']);
    const [a, b] = list.deadLetters.map((d: { id: string }) => d.id);
    // Partitions' dead-letter ids collide (same millisecond, same sequence), so ids need the partition.
    for (const command of ['replay', 'purge']) {
      const refused = await runCli(['--url', env.redis.url, 'dlq', command, stream, a]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`dlq ${command} <ids...> needs --partition <i> (0 to 2)`);
    }
    expect(await lengths(stream, dlqOf)).toEqual([10, 10, 10]);
    const byId = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream, a, '9999999999999-0', '--partition', '0']);
    expect(byId).toMatchObject({ replayed: 1, notFound: 1 });
    expect(await lengths(stream, streamOf)).toEqual([11, 10, 10]);
    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, b, '--partition', '0'])).count).toBe(1);
    expect(await lengths(stream, dlqOf)).toEqual([8, 10, 10]);

    const dry = await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, '--all', '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, count: 28 });
    const text = await runCli(['--url', env.redis.url, 'dlq', 'purge', stream, '--all', '--partition', '2']);
    expect(text.stdout).toContain(`partition 2: deleted 10 dead letters from ${dlqOf(stream, 2)}`);
    const all = await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, '--all']);
    expect(all).toMatchObject({ dryRun: false, count: 18 });
    expect(all.partitions).toEqual([
      { partition: 0, deadLetterKey: dlqOf(stream, 0), count: 8 },
      { partition: 1, deadLetterKey: dlqOf(stream, 1), count: 10 },
      { partition: 2, deadLetterKey: dlqOf(stream, 2), count: 0 },
    ]);
    expect(await lengths(stream, dlqOf)).toEqual([0, 0, 0]);
  });
});
