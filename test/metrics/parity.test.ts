/**
 * The numbers KEDA scales on, the CLI prints and Prometheus scrapes are one and the same:
 * a saturated worker holds N entries pending with a backlog behind it, and KEDA's commands
 * (XPENDING summary, XINFO GROUPS lag), readStreamStats (what the CLI prints) and the
 * metrics gauges agree; the replica count KEDA's formula gives matches deploy/keda/README.md.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeyBuilder, readStreamStats, replyToRecord, StreamConsumer, StreamProducer, type RedisReply } from '@redstream/core';
import { RedstreamMetrics } from '@redstream/core/metrics';
import { Registry } from 'prom-client';
import { desiredReplicas, type TriggerReading } from '../../apps/redstream-cli/src/keda/replica-math.js';
import { commandCalls } from '../support/command-stats.js';
import { quietLogger } from '../support/quiet-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

interface TableRow {
  lag: number;
  pending: number;
  lagCount: number;
  pendingEntriesCount: number | undefined;
  min: number;
  max: number;
  replicas: number;
}

/** The replica table of deploy/keda/README.md. */
function readmeTable(): TableRow[] {
  const text = readFileSync(join(process.cwd(), 'deploy', 'keda', 'README.md'), 'utf8');
  const section = text.slice(text.indexOf('## Replica math'));
  const rows = section.split('\n').filter((line) => /^\|\s*\d/.test(line));
  return rows.map((line) => {
    const cells = line.split('|').slice(1, -1).map((cell) => cell.trim());
    const number = (cell: string) => (cell === '-' ? undefined : Number(cell));
    return {
      lag: Number(cells[0]),
      pending: Number(cells[1]),
      lagCount: Number(cells[2]),
      pendingEntriesCount: number(cells[3]),
      min: Number(cells[4]),
      max: Number(cells[5]),
      replicas: Number(cells[6]),
    };
  });
}

function readings(row: Pick<TableRow, 'lag' | 'pending' | 'lagCount' | 'pendingEntriesCount'>): TriggerReading[] {
  const backlog = { metric: row.lag, target: row.lagCount };
  return row.pendingEntriesCount === undefined ? [backlog] : [backlog, { metric: row.pending, target: row.pendingEntriesCount }];
}

describe('replica math', () => {
  const table = readmeTable();

  it('README table has the rows the parity test relies on', () => {
    expect(table.length).toBeGreaterThanOrEqual(8);
    expect(table).toContainEqual(expect.objectContaining({ lag: 120, pending: 64, lagCount: 50, pendingEntriesCount: 50, min: 0, max: 20 }));
  });

  it.each(table.map((row) => [`lag ${row.lag}, pending ${row.pending}, min ${row.min}`, row] as const))(
    'README row %s matches ceil(metric/target), max over triggers, clamped',
    (_name, row) => {
      expect(desiredReplicas(readings(row), row.min, row.max)).toBe(row.replicas);
    },
  );
});

describe('metric parity against a real redis-server', () => {
  const env = usePrivateRedis();
  const stopAfterEach = useCleanup();

  it('pending and lag: KEDA\'s reads, readStreamStats and the gauges are equal; replicas match the README', async () => {
    const stream = 'parity.orders';
    const group = 'billing';
    const concurrency = 64;
    const backlog = 120;
    const key = new KeyBuilder().stream(stream);
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());
    await producer.publishMany(stream, Array.from({ length: concurrency + backlog }, (_, i) => ({ data: { i } })));

    // A saturated worker: every handler slot holds an entry that does not finish yet.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const consumer = stopAfterEach(new StreamConsumer({ url: env.redis.url, group, concurrency, prefetch: concurrency, logger: quietLogger, retention: false }).subscribe(stream, async () => {
      started += 1;
      await released;
    }), (c) => c.stop());
    const registry = new Registry();
    new RedstreamMetrics({ registry }).observe(consumer);
    await consumer.start();
    await waitFor(() => started === concurrency, { what: `${concurrency} handlers running` });

    const client = env.client;
    const [kedaPending] = (await client.sendCommand(['XPENDING', key, group])) as [number];
    const groups = (await client.sendCommand(['XINFO', 'GROUPS', key])) as RedisReply[][];
    const kedaLag = Number(groups.map(replyToRecord).find((g) => g.name === group)!.lag);
    expect(kedaPending).toBe(concurrency);
    expect(kedaLag).toBe(backlog);

    const stats = await readStreamStats(producer.connection, producer.keys, stream);
    const cliGroup = stats.groups.find((g) => g.name === group)!;
    expect(cliGroup.pending).toBe(kedaPending);
    expect(cliGroup.lag).toBe(kedaLag);

    const xinfoCallsBefore = await commandCalls(client, 'xinfo|groups');
    const scraped = await registry.getMetricsAsJSON();
    expect(await commandCalls(client, 'xinfo|groups')).toBe(xinfoCallsBefore + 1); // one Redis read for all gauges
    const gauge = (name: string) =>
      (scraped.find((m) => m.name === name)!.values as { value: number; labels: Record<string, string | number> }[]).find(
        (v) => v.labels.stream === stream && v.labels.group === group,
      )!.value;
    expect(gauge('redstream_group_pending')).toBe(kedaPending);
    expect(gauge('redstream_group_lag')).toBe(kedaLag);

    const row = readmeTable().find((r) => r.lag === kedaLag && r.pending === kedaPending)!;
    expect(row).toBeDefined();
    expect(desiredReplicas(readings({ lag: kedaLag, pending: kedaPending, lagCount: 50, pendingEntriesCount: 50 }), 0, 20)).toBe(row.replicas);
    expect(row.replicas).toBe(3);

    release();
    await waitFor(async () => ((await client.sendCommand(['XPENDING', key, group])) as [number])[0] === 0 && started === concurrency + backlog, {
      what: 'all entries handled',
      timeoutMs: 20_000,
    });
    const after = await registry.getMetricsAsJSON();
    const handled = after.find((m) => m.name === 'redstream_messages_handled_total')!.values.find((v) => v.labels.outcome === 'success')!;
    expect(handled.value).toBe(concurrency + backlog);
    await consumer.stop();
    await producer.close();
  });
});
