/**
 * `redstream pending` and `consumers` against real pending entries, left by consumers that
 * read with XREADGROUP and never acked: the CLI must report exactly what XPENDING reports
 * (its summary count is what KEDA's pendingEntriesCount trigger reads).
 */
import { StreamProducer } from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';
import { runCli, runCliJson } from '../support/cli.js';

type PendingRow = [string, string, number, number];

const STREAM = 'orders.pending';
const KEY = `rs:{${STREAM}}`;
const GROUP = 'billing';
const TEN_MINUTES = 600_000;

describe('redstream pending', () => {
  const env = usePrivateRedis();
  let staleIds: string[];

  beforeAll(async () => {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(STREAM, Array.from({ length: 60 }, (_, i) => ({ data: { order: i, note: 'x'.repeat(200) } })));
    await producer.close();
    await env.client.sendCommand(['XGROUP', 'CREATE', KEY, GROUP, '0']);
    // Two consumers read without acking; worker-a then re-reads its backlog (a second delivery).
    await env.client.sendCommand(['XREADGROUP', 'GROUP', GROUP, 'worker-a', 'COUNT', '25', 'STREAMS', KEY, '>']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', GROUP, 'worker-b', 'COUNT', '15', 'STREAMS', KEY, '>']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', GROUP, 'worker-a', 'COUNT', '10', 'STREAMS', KEY, '0']);
    // Five of worker-b's entries look stuck for ten minutes (XCLAIM ... IDLE sets their idle time).
    const rowsB = (await env.client.sendCommand(['XPENDING', KEY, GROUP, '-', '+', '5', 'worker-b'])) as PendingRow[];
    staleIds = rowsB.map((row) => row[0]);
    await env.client.sendCommand(['XCLAIM', KEY, GROUP, 'worker-b', '0', ...staleIds, 'IDLE', String(TEN_MINUTES), 'JUSTID']);
  });

  async function xpending(...extra: string[]): Promise<PendingRow[]> {
    return (await env.client.sendCommand(['XPENDING', KEY, GROUP, ...extra])) as PendingRow[];
  }

  it('--json prints the summary and entries exactly as XPENDING reports them', async () => {
    const before = Date.now();
    const report = await runCliJson(['--url', env.redis.url, 'pending', STREAM, '--group', GROUP, '--limit', '1000']);
    const elapsed = Date.now() - before;
    const [count, minId, maxId, perConsumer] = (await env.client.sendCommand(['XPENDING', KEY, GROUP])) as [number, string, string, [string, string][]];
    const extended = await xpending('-', '+', '1000');

    expect(Object.keys(report)).toEqual(['stream', 'key', 'group', 'count', 'minId', 'maxId', 'consumers', 'entries']);
    expect(report).toMatchObject({ stream: STREAM, key: KEY, group: GROUP, count, minId, maxId });
    expect(count).toBe(40);
    expect(report.consumers).toEqual(perConsumer.map(([name, pending]) => ({ name, pending: Number(pending) })));
    expect(report.entries).toHaveLength(extended.length);
    report.entries.forEach((entry: { id: string; consumer: string; idleMs: number; deliveries: number }, i: number) => {
      const [id, consumer, idle, deliveries] = extended[i];
      expect(Object.keys(entry)).toEqual(['id', 'consumer', 'idleMs', 'deliveries']);
      expect({ id: entry.id, consumer: entry.consumer, deliveries: entry.deliveries }).toEqual({ id, consumer, deliveries });
      // Our XPENDING ran after the CLI's, so its idle is larger by at most the time in between.
      expect(entry.idleMs).toBeLessThanOrEqual(idle);
      expect(entry.idleMs).toBeGreaterThanOrEqual(idle - elapsed - 1_000);
    });
    expect(report.entries.filter((e: { deliveries: number }) => e.deliveries === 2)).toHaveLength(10);
  });

  it('filters entries by consumer and minimum idle time, and limits them', async () => {
    const ofB = await runCliJson(['--url', env.redis.url, 'pending', STREAM, '--consumer', 'worker-b']);
    expect(ofB.count).toBe(40);
    expect(ofB.entries.map((e: { id: string }) => e.id)).toEqual((await xpending('-', '+', '1000', 'worker-b')).map((row) => row[0]));

    const stale = await runCliJson(['--url', env.redis.url, 'pending', STREAM, '--min-idle', '5m']);
    expect(stale.entries.map((e: { id: string }) => e.id)).toEqual(staleIds);
    expect(stale.entries.every((e: { idleMs: number }) => e.idleMs >= TEN_MINUTES)).toBe(true);

    const limited = await runCliJson(['--url', env.redis.url, 'pending', STREAM, '--limit', '3']);
    expect(limited.entries.map((e: { id: string }) => e.id)).toEqual((await xpending('-', '+', '3')).map((row) => row[0]));
  });

  it('prints readable tables with human durations and peeks at payloads with --show-data', async () => {
    const result = await runCli(['--url', env.redis.url, 'pending', STREAM, '--min-idle', '5m', '--show-data']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    const [, minId, maxId] = (await env.client.sendCommand(['XPENDING', KEY, GROUP])) as [number, string, string];
    expect(lines[0]).toBe(`stream ${STREAM} (${KEY}), group ${GROUP}: 40 pending (oldest ${minId}, newest ${maxId})`);
    expect(lines).toContainEqual(expect.stringMatching(/│ worker-a\s+│ 25\s+│/));
    expect(lines).toContainEqual(expect.stringMatching(/│ worker-b\s+│ 15\s+│/));
    expect(lines).toContainEqual(expect.stringMatching(/│ id\s+│ consumer\s+│ idle\s+│ deliveries │ data/));
    const firstStale = lines.find((line) => line.includes(staleIds[0]));
    expect(firstStale).toMatch(new RegExp(`│ ${staleIds[0]}\\s+│ worker-b\\s+│ 10m\\d{1,2}s\\s+│ 1\\s+│ \\{"order":25,"note":"x+…`));
  });

  it('consumers lists each consumer with its pending count and idle time', async () => {
    const report = await runCliJson(['--url', env.redis.url, 'consumers', STREAM]);
    const info = (await env.client.sendCommand(['XINFO', 'CONSUMERS', KEY, GROUP])) as unknown[][];
    expect(report.group).toBe(GROUP);
    expect(report.consumers.map((c: { name: string; pending: number }) => [c.name, c.pending])).toEqual(info.map((row) => [row[1], row[3]]));
    const table = await runCli(['--url', env.redis.url, 'consumers', STREAM]);
    expect(table.stdout).toMatch(/│ worker-a\s+│ 25\s+│ \d+(ms|s)\s+│/);
  });
});
