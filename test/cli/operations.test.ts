/** `streams`, `claim`, `ack`, `trim` and `watch` against a real redis-server. */
import { StreamProducer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';
import { finished, runCli, runCliJson, spawnCli } from '../support/cli.js';

type PendingRow = [string, string, number, number];

describe('redstream day-2 operations', () => {
  const env = usePrivateRedis();

  /** `count` entries in a stream with group `billing`; `read` of them delivered to `consumer` and left pending. */
  async function seed(stream: string, count: number, read: number, consumer = 'worker-a'): Promise<string> {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(stream, Array.from({ length: count }, (_, i) => ({ data: { i } })));
    await producer.close();
    const key = `rs:{${stream}}`;
    await env.client.sendCommand(['XGROUP', 'CREATE', key, 'billing', '0']);
    if (read > 0) await env.client.sendCommand(['XREADGROUP', 'GROUP', 'billing', consumer, 'COUNT', String(read), 'STREAMS', key, '>']);
    return key;
  }

  it('streams reports length, pending, lag and dead letters per group', async () => {
    await seed('ops.streams', 12, 5);
    const stats = await runCliJson(['--url', env.redis.url, 'streams', 'ops.streams']);
    expect(stats).toEqual([
      expect.objectContaining({ stream: 'ops.streams', length: 12, deadLetters: 0, groups: [expect.objectContaining({ name: 'billing', pending: 5, lag: 7 })] }),
    ]);
    const table = await runCli(['--url', env.redis.url, 'streams']);
    expect(table.stdout).toMatch(/│ ops\.streams\s+│ 12\s+│ billing\s+│ running\s+│ 1\s+│ 5\s+│ 7\s+│ 0\s+│ 0\s+│/);
  });

  it('claim moves pending entries to another consumer (and --dry-run moves nothing); ack acknowledges them', async () => {
    const key = await seed('ops.claim', 10, 6);
    const ids = ((await env.client.sendCommand(['XPENDING', key, 'billing', '-', '+', '3'])) as PendingRow[]).map((row) => row[0]);

    const dry = await runCliJson(['--url', env.redis.url, 'claim', 'ops.claim', ...ids, '--to', 'worker-b', '--dry-run']);
    expect(dry).toMatchObject({ dryRun: true, claimed: ids, skipped: [] });
    expect(((await env.client.sendCommand(['XPENDING', key, 'billing', '-', '+', '10', 'worker-b'])) as PendingRow[]).length).toBe(0);

    const claimed = await runCliJson(['--url', env.redis.url, 'claim', 'ops.claim', ...ids, '9-0', '--to', 'worker-b']);
    expect(claimed).toMatchObject({ claimed: ids, skipped: [{ id: '9-0', reason: 'not-pending' }] });
    const ofB = (await env.client.sendCommand(['XPENDING', key, 'billing', '-', '+', '10', 'worker-b'])) as PendingRow[];
    expect(ofB.map((row) => row[0])).toEqual(ids);
    expect(ofB.every((row) => Number(row[3]) === 1)).toBe(true);

    const moved = await runCliJson(['--url', env.redis.url, 'claim', 'ops.claim', '--from', 'worker-a', '--to', 'worker-c']);
    expect(moved.claimed).toHaveLength(3);

    const acked = await runCliJson(['--url', env.redis.url, 'ack', 'ops.claim', ...ids]);
    expect(acked).toMatchObject({ count: 3, acked: ids });
    expect(((await env.client.sendCommand(['XPENDING', key, 'billing'])) as [number])[0]).toBe(3);
  });

  it('trim --safe removes only what the group has read and acknowledged, as retention does', async () => {
    const key = await seed('ops.trim', 100, 60);
    const pending = (await env.client.sendCommand(['XPENDING', key, 'billing', '-', '+', '100'])) as PendingRow[];
    // Ack the 40 oldest: the oldest entry still needed is the 41st (pending); the 40 before it may go.
    await env.client.sendCommand(['XACK', key, 'billing', ...pending.slice(0, 40).map((row) => row[0])]);

    const dry = await runCliJson(['--url', env.redis.url, 'trim', 'ops.trim', '--safe', '--dry-run']);
    expect(dry).toMatchObject({ mode: 'safe', dryRun: true, trimmed: 40, safeMinId: pending[40][0], lengthBefore: 100 });
    expect(await env.client.xLen(key)).toBe(100);

    const done = await runCliJson(['--url', env.redis.url, 'trim', 'ops.trim', '--safe']);
    expect(done.trimmed).toBe(40);
    expect(await env.client.xLen(key)).toBe(60);
    expect(((await env.client.sendCommand(['XRANGE', key, '-', '+', 'COUNT', '1'])) as [string][])[0][0]).toBe(pending[40][0]);

    const risky = await runCli(['--url', env.redis.url, 'trim', 'ops.trim', '--maxlen', '10', '--dry-run']);
    expect(risky.code).toBe(0);
    expect(risky.stdout).toContain('would remove 50 of 60 entries');
    expect(risky.stderr).toMatch(/--maxlen 10 reaches past .* the oldest entry a group still needs/);
    expect(await env.client.xLen(key)).toBe(60);
  });

  it('watch refreshes until --iterations, and stops cleanly on Ctrl-C', async () => {
    await seed('ops.watch', 4, 2);
    const json = await runCli(['--url', env.redis.url, '--json', 'watch', 'ops.watch', '--interval', '50ms', '--iterations', '3']);
    expect(json.code).toBe(0);
    const snapshots = json.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(snapshots).toHaveLength(3);
    expect(snapshots[2].streams[0]).toMatchObject({ stream: 'ops.watch', length: 4, consumers: { billing: [expect.objectContaining({ name: 'worker-a', pending: 2 })] } });

    const live = spawnCli(['--url', env.redis.url, 'watch', 'ops.watch', '--interval', '10s']);
    const ended = finished(live);
    let output = '';
    live.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitFor(() => output.includes('worker-a'), { what: 'first refresh' });
    live.kill('SIGINT');
    const result = await ended;
    expect(result).toMatchObject({ code: 0, signal: null });
    expect(output).toMatch(/│ ops\.watch\s+│ billing\s+│ worker-a\s+│ 2\s+│ \d+(ms|s)\s+│/);
  });
});
