/**
 * Delayed messages (many promoters at once), graceful shutdown (DESIGN.md delivery
 * semantics 7) and the removal of idle consumers.
 */
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('delayed messages, shutdown and idle consumers', () => {
  const fx = useRedis();
  const consumerNames = async (stream: string) =>
    ((await fx.client.sendCommand(['XINFO', 'CONSUMERS', `rs:{${stream}}`, 'g'])) as string[][]).map((row) => row[1]);

  it('promotes each delayed message exactly once, not before it is due, with three promoters running', async () => {
    const stream = 'lifecycle.delayed';
    const received: { data: number; at: number }[] = [];
    for (let i = 0; i < 3; i += 1) {
      await fx.consumer(stream, (m) => void received.push({ data: m.data as number, at: Date.now() }), { delayed: { intervalMs: 10, batchSize: 7 } });
    }
    const sentAt = Date.now();
    const results = await fx.producer.publishMany(stream, Array.from({ length: 200 }, (_, n) => ({ data: n, options: { delayMs: 300 } })));
    expect(results.every((r) => r.added && r.entryId.startsWith('delayed:'))).toBe(true);
    expect(await fx.client.xLen(`rs:{${stream}}`)).toBe(0);
    await waitFor(() => received.length === 200, { what: '200 delayed messages' });
    expect(new Set(received.map((r) => r.data)).size).toBe(200);
    expect(Math.min(...received.map((r) => r.at)) - sentAt).toBeGreaterThanOrEqual(300);
    expect(await fx.client.xLen(`rs:{${stream}}`)).toBe(200);
    expect(await fx.client.zCard(`rs:{${stream}}:delayed`)).toBe(0);
    expect(await fx.client.hLen(`rs:{${stream}}:delayed:payloads`)).toBe(0);
  });

  it('on stop waits for running handlers, acks them, and leaves the group', async () => {
    const stream = 'lifecycle.stop';
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    let finished = 0;
    const worker = await fx.consumer(stream, async () => {
      started += 1;
      await released;
      finished += 1;
    }, { consumer: 'leaving' });
    await fx.producer.publishMany(stream, [1, 2, 3].map((data) => ({ data })));
    await waitFor(() => started === 3, { what: 'three handlers running' });
    const stopping = worker.stop();
    expect(finished).toBe(0);
    release();
    await stopping;
    expect(finished).toBe(3);
    expect(await fx.pendingCount(stream)).toBe(0);
    expect(await consumerNames(stream)).toEqual([]);
    expect(worker.status).toBe('disconnected');
  });

  it('on a shutdown timeout leaves unfinished entries pending for another consumer, which reclaims them', async () => {
    const stream = 'lifecycle.timeout';
    const stuck = await fx.consumer(stream, () => new Promise(() => undefined), { consumer: 'stuck', shutdownTimeoutMs: 100 });
    const { entryId } = await fx.producer.publish(stream, 'never finishes here');
    await waitFor(() => stuck.inFlight === 1, { what: 'the stuck handler' });
    await stuck.stop();
    expect(await fx.pendingCount(stream)).toBe(1);
    expect(await consumerNames(stream)).toEqual(['stuck']);
    const handled: string[] = [];
    await fx.consumer(stream, (m) => void handled.push(m.entryId), { consumer: 'heir', claim: { minIdleMs: 200, intervalMs: 50 } });
    await waitFor(() => handled.length === 1, { what: 'the heir to reclaim it' });
    expect(handled).toEqual([entryId]);
    await waitFor(async () => (await fx.pendingCount(stream)) === 0, { what: 'acked by the heir' });
  });

  it('removes consumers idle longer than idleConsumers.removeAfterMs that own nothing, and keeps those that own entries', async () => {
    const stream = 'lifecycle.idle';
    const key = `rs:{${stream}}`;
    await fx.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '$', 'MKSTREAM']);
    await fx.client.sendCommand(['XGROUP', 'CREATECONSUMER', key, 'g', 'gone-empty']);
    await fx.client.sendCommand(['XADD', key, '*', 'data', '1', 'id', 'x', 'ts', '1']);
    await fx.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'gone-holding', 'STREAMS', key, '>']);
    await fx.consumer(stream, () => undefined, { consumer: 'alive', claim: false, idleConsumers: { removeAfterMs: 300, intervalMs: 50 } });
    await waitFor(async () => !(await consumerNames(stream)).includes('gone-empty'), { what: 'gone-empty to be removed' });
    // (Redis 7.0 lists a consumer only once it has read something, so 'alive' may not show yet.)
    expect(await consumerNames(stream)).toContain('gone-holding');
    expect(await fx.pendingCount(stream)).toBe(1);
  });
});
