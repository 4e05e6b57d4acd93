/**
 * `redstream dlq` against dead letters written by a real consumer: replay killed with
 * SIGKILL halfway and run again re-publishes each message exactly once and empties the DLQ.
 */
import { StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';
import { quietLogger } from '../support/quiet-logger.js';
import { finished, runCli, runCliJson, spawnCli } from '../support/cli.js';

type Entry = [string, string[]];

const fieldsOf = (entry: Entry): Record<string, string> => Object.fromEntries(Array.from({ length: entry[1].length / 2 }, (_, i) => [entry[1][2 * i], entry[1][2 * i + 1]]));

describe('redstream dlq', () => {
  const env = usePrivateRedis();

  /** Publishes `count` messages and lets every group's handler reject them, so each lands in the DLQ once per group. */
  async function deadLetter(stream: string, count: number, groups: string[]): Promise<Entry[]> {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(stream, Array.from({ length: count }, (_, i) => ({ data: { n: i } })));
    await producer.close();
    const consumers = groups.map((group) =>
      new StreamConsumer({ url: env.redis.url, group, logger: quietLogger, concurrency: 256 }).subscribe(stream, () => {
        throw new UnrecoverableError(`rejected by ${group}`);
      }),
    );
    await Promise.all(consumers.map((c) => c.start()));
    await waitFor(async () => (await env.client.xLen(`rs:{${stream}}:dlq`)) === count * groups.length, { timeoutMs: 60_000, what: 'dead letters' });
    await Promise.all(consumers.map((c) => c.stop()));
    return (await env.client.sendCommand(['XRANGE', `rs:{${stream}}`, '-', '+'])) as Entry[];
  }

  it('replay killed halfway and run again puts each message back exactly once and empties the DLQ', async () => {
    const stream = 'replay.killed';
    const originals = await deadLetter(stream, 1_000, ['billing']);
    const lastOriginal = originals[originals.length - 1][0];

    const dryRun = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream, '--dry-run']);
    expect(dryRun.count).toBe(1_000);
    expect(await env.client.xLen(`rs:{${stream}}`)).toBe(1_000);

    // Throttled so that the kill lands mid-way; pipelined batches of 20 are in flight when it does.
    const replay = spawnCli(['--url', env.redis.url, 'dlq', 'replay', stream, '--rate', '400', '--batch', '20']);
    const killed = finished(replay);
    await waitFor(async () => (await env.client.xLen(`rs:{${stream}}`)) >= 1_300, { timeoutMs: 30_000, intervalMs: 5, what: '300 replayed' });
    replay.kill('SIGKILL');
    expect((await killed).signal).toBe('SIGKILL');
    const left = await env.client.xLen(`rs:{${stream}}:dlq`);
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThanOrEqual(700);
    expect(await env.client.xLen(`rs:{${stream}}`)).toBe(2_000 - left);

    const rerun = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream]);
    expect(rerun).toMatchObject({ replayed: left, alreadyReplayed: 0, gone: 0 });
    expect(await env.client.xLen(`rs:{${stream}}:dlq`)).toBe(0);

    const replayed = (await env.client.sendCommand(['XRANGE', `rs:{${stream}}`, `(${lastOriginal}`, '+'])) as Entry[];
    expect(replayed).toHaveLength(1_000);
    const expected = new Map(originals.map((entry) => [fieldsOf(entry).id, fieldsOf(entry)]));
    const seen = new Set<string>();
    for (const entry of replayed) {
      const fields = fieldsOf(entry);
      expect(seen.has(fields.id)).toBe(false);
      seen.add(fields.id);
      // The original fields come back as they were, without the dlq* failure details.
      expect(fields).toEqual(expected.get(fields.id));
    }
    expect(seen.size).toBe(1_000);
  });

  it('replays a message dead-lettered by two groups once, and removes both dead letters', async () => {
    const stream = 'replay.two-groups';
    await deadLetter(stream, 20, ['billing', 'audit']);
    const result = await runCliJson(['--url', env.redis.url, 'dlq', 'replay', stream]);
    expect(result).toMatchObject({ replayed: 20, alreadyReplayed: 20, gone: 0 });
    expect(await env.client.xLen(`rs:{${stream}}`)).toBe(40);
    expect(await env.client.xLen(`rs:{${stream}}:dlq`)).toBe(0);
  });

  it('lists, shows, filters and purges dead letters', async () => {
    const stream = 'dlq.inspect';
    await deadLetter(stream, 30, ['billing']);
    const list = await runCliJson(['--url', env.redis.url, 'dlq', 'list', stream, '--limit', '5']);
    expect(list.total).toBe(30);
    expect(list.deadLetters).toHaveLength(5);
    const first = list.deadLetters[0];
    expect(first).toMatchObject({ group: 'billing', reason: 'unrecoverable', error: 'rejected by billing', deliveries: 1 });
    expect(first.fields.data).toBe('{"n":0}');

    const table = await runCli(['--url', env.redis.url, 'dlq', 'list', stream, '--limit', '2']);
    expect(table.stdout.split('\n')[0]).toBe(`30 dead letters in rs:{${stream}}:dlq`);
    expect(table.stdout).toMatch(new RegExp(`│ ${first.id}\\s+│ ${first.originalId}\\s+│ billing\\s+│ unrecoverable\\s+│ 1\\s+│ \\d+\\S* ago\\s+│ rejected by billing`));

    const shown = await runCli(['--url', env.redis.url, 'dlq', 'show', stream, first.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^reason\s+unrecoverable$/m);
    expect(shown.stdout).toMatch(/^stack\s+UnrecoverableError: rejected by billing$/m);

    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'list', stream, '--group', 'nobody'])).deadLetters).toEqual([]);

    const dry = await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, '--all', '--dry-run']);
    expect(dry.count).toBe(30);
    expect(await env.client.xLen(`rs:{${stream}}:dlq`)).toBe(30);
    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, first.id])).count).toBe(1);
    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, '--older-than', '1h'])).count).toBe(0);
    expect((await runCliJson(['--url', env.redis.url, 'dlq', 'purge', stream, '--all'])).count).toBe(29);
    expect(await env.client.xLen(`rs:{${stream}}:dlq`)).toBe(0);
  });
});
