/**
 * DESIGN.md delivery semantics 5: the default retention never removes an entry a group
 * still needs, and XINFO GROUPS `lag` stays a number; the opt-in caps count as lost only
 * the entries some group had not read.
 */
import { KeyBuilder, RedisConnection, RetentionTrimmer, StreamConsumer, UnrecoverableError, type ReceivedMessage } from '@redstream/core';
import { collectingLogger } from '../support/quiet-logger.js';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('retention', () => {
  const fx = useRedis();

  const groupsOf = async (key: string) =>
    ((await fx.client.sendCommand(['XINFO', 'GROUPS', key])) as unknown[][]).map((row) => {
      const info: Record<string, unknown> = {};
      for (let i = 0; i < row.length; i += 2) info[String(row[i])] = row[i + 1];
      return info;
    });
  const streamIds = async (key: string) => ((await fx.client.sendCommand(['XRANGE', key, '-', '+'])) as [string][]).map(([id]) => id);

  it('with a slow and a fast group never removes an unacked or unread entry, and lag stays a number', async () => {
    const stream = 'retention.safe';
    const key = `rs:{${stream}}`;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const fast = new Set<string>();
    const slow = new Set<string>();
    const retention = { intervalMs: 50 };
    const fastConsumer = new StreamConsumer({ url: fx.redis.url, group: 'fast', logger: collectingLogger(), retention })
      .subscribe(stream, (m) => void fast.add(m.entryId));
    // The slow group holds entries 1000.. (5 at a time, never acked until released) and has not read the rest.
    const slowConsumer = new StreamConsumer({ url: fx.redis.url, group: 'slow', concurrency: 5, prefetch: 5, logger: collectingLogger(), retention }).subscribe(
      stream,
      async (m: ReceivedMessage) => {
        const { n } = m.data as { n: number };
        if (n >= 1_000) await released;
        if (n === 1_500) throw new UnrecoverableError('dead-lettered while trimming');
        slow.add(m.entryId);
      },
    );
    try {
      await Promise.all([fastConsumer.start(), slowConsumer.start()]);
      const published = (await fx.producer.publishMany(stream, Array.from({ length: 2_000 }, (_, n) => ({ data: { n } })))).map((r) => r.entryId);
      await waitFor(() => fast.size === 2_000 && slow.size === 1_000 && slowConsumer.inFlight === 5, { what: 'fast done, slow stuck at 1000' });
      await waitFor(async () => (await fx.client.xLen(key)) < 2_000, { what: 'a trim' });
      const needed = published.slice(1_000);
      // Trimmed down to the slow group's oldest pending entry (MINID ~ keeps at most one macro node more).
      await waitFor(async () => (await fx.client.xLen(key)) <= 1_100, { what: 'trimming up to the slow group' });
      let remaining = new Set(await streamIds(key));
      expect(needed.filter((id) => !remaining.has(id))).toEqual([]);
      for (const group of await groupsOf(key)) expect(typeof group.lag).toBe('number');
      const slowGroup = (await groupsOf(key)).find((g) => g.name === 'slow')!;
      expect(slowGroup).toMatchObject({ pending: 5, lag: 995 });

      release();
      await waitFor(() => slow.size === 1_999, { timeoutMs: 20_000, what: 'slow group done' });
      await waitFor(async () => (await groupsOf(key)).every((g) => g.pending === 0 && g.lag === 0), { what: 'both groups done' });
      expect(await fx.client.xLen(`${key}:dlq`)).toBe(1);
      await waitFor(async () => (await fx.client.xLen(key)) < 200, { what: 'trimming after the slow group caught up' });
      remaining = new Set(await streamIds(key));
      const lastDelivered = (await groupsOf(key)).map((g) => g['last-delivered-id'] as string);
      for (const id of lastDelivered) expect(remaining.has(id)).toBe(true);
      for (const group of await groupsOf(key)) expect(group.lag).toBe(0);
      console.info(`safe retention: trimmed ${2_000 - (await fx.client.xLen(key))} of 2000 entries without touching an unacked or unread one`);
    } finally {
      release();
      await Promise.all([fastConsumer.stop(), slowConsumer.stop()]);
    }
  });

  describe('opt-in caps count only entries some group had not read as lost', () => {
    // e0..e499 with ids 1000-0.. : group a read all and acked e0..e299; group b read and acked e0..e199.
    async function prepare(stream: string): Promise<string> {
      const key = `rs:{${stream}}`;
      for (let i = 0; i < 500; i += 1) await fx.client.sendCommand(['XADD', key, `${1_000 + i}-0`, 'data', String(i), 'id', `m${i}`, 'ts', '1']);
      await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'a', '0']);
      await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'b', '0']);
      await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'a', 'a1', 'COUNT', '500', 'STREAMS', key, '>']);
      await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'b', 'b1', 'COUNT', '200', 'STREAMS', key, '>']);
      await fx.client.sendCommand(['XACK', key, 'a', ...Array.from({ length: 300 }, (_, i) => `${1_000 + i}-0`)]);
      await fx.client.sendCommand(['XACK', key, 'b', ...Array.from({ length: 200 }, (_, i) => `${1_000 + i}-0`)]);
      return key;
    }

    it('maxLen: the safe trim removes what both groups finished, the cap drops 200 entries group b never read', async () => {
      const stream = 'retention.maxlen';
      const key = await prepare(stream);
      const connection = await RedisConnection.open({ url: fx.redis.url }, 'retention-test');
      const counts = { trimmed: 0, unread: 0 };
      const logger = collectingLogger();
      const trimmer = new RetentionTrimmer(
        connection,
        [new KeyBuilder().forStream(stream)],
        { strategy: 'maxLen', maxLen: 100, intervalMs: 1_000 },
        'test',
        { trimmed: (_s, n) => void (counts.trimmed += n), unreadDropped: (_s, n) => void (counts.unread += n) },
        logger,
      );
      try {
        // Safe part: below b's last-delivered e199 (kept), 199 entries; cap: e199..e399, of which e200..e399 b never read.
        expect(await trimmer.trim(new KeyBuilder().forStream(stream))).toBe(400);
        expect(counts).toEqual({ trimmed: 400, unread: 200 });
        expect(await fx.client.xLen(key)).toBe(100);
        expect(logger.lines).toEqual([`warn retention cap on "${stream}" removed 200 entries that a group had not read yet`]);
        for (const group of await groupsOf(key)) expect(typeof group.lag).toBe('number');
      } finally {
        await connection.close();
      }
    });

    it('maxAge (MINID): of 400 entries older than the cutoff, only the 200 after the slowest group are unread', async () => {
      const key = await prepare('retention.minid');
      const connection = await RedisConnection.open({ url: fx.redis.url }, 'retention-test');
      try {
        const { Scripts } = await import('@redstream/core');
        expect(await Scripts.trimCapped.run(connection, [key], ['MINID', '1400-0'])).toEqual([400, 200]);
        expect((await streamIds(key))[0]).toBe('1400-0');
        expect(await Scripts.trimCapped.run(connection, [key], ['MAXLEN', '1000'])).toEqual([0, 0]);
      } finally {
        await connection.close();
      }
    });
  });
});
