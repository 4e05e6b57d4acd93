/**
 * Scrapes /metrics of the built demo worker (a child process on a private redis-server)
 * while it processes jobs: the handled counters and histogram move, a poison job shows as
 * dead-lettered, and the scrape-time gauges report the stream and group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { StreamProducer } from '@redstream/core';
import { DEMO_GROUP, DEMO_STREAM } from '../../apps/demo-worker/src/demo-stream.js';
import { useCleanup } from '../support/cleanup.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

/** `name{labels} value` lines of a Prometheus text exposition → value by `name{labels}`. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

describe('demo worker /metrics', () => {
  let worker: ChildProcess;
  let port: number;
  let output = '';
  // Declared before usePrivateRedis: Jest runs afterAll hooks in declaration order, so the
  // worker stops before its Redis does.
  afterAll(async () => {
    if (worker?.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
  });
  const env = usePrivateRedis();
  const stopAfterEach = useCleanup();

  beforeAll(async () => {
    port = await freePort();
    worker = spawn(process.execPath, [join(process.cwd(), 'apps', 'demo-worker', 'dist', 'main.js')], {
      env: { ...process.env, REDIS_URL: env.redis.url, PORT: String(port), WORKER_CONCURRENCY: '2', SHUTDOWN_TIMEOUT_MS: '2000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (chunk) => (output += chunk));
    worker.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, {
      what: `demo worker health on ${port} (output: ${output.slice(-500)})`,
      timeoutMs: 30_000,
    });
  });

  async function scrape(): Promise<Map<string, number>> {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  }
  const labels = `stream="${DEMO_STREAM}",group="${DEMO_GROUP}"`;
  const handled = (samples: Map<string, number>, outcome: string) => samples.get(`redstream_messages_handled_total{${labels},outcome="${outcome}"}`) ?? 0;

  it('counters move while the worker processes', async () => {
    const before = await scrape();
    expect(handled(before, 'success')).toBe(0);
    expect(before.get('redstream_consumer_connected{group="demo-workers"}')).toBe(1);
    expect(before.get('process_cpu_user_seconds_total')).toBeGreaterThan(0); // default Node metrics too

    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());
    const jobs = 60;
    await producer.publishMany(DEMO_STREAM, Array.from({ length: jobs }, (_, id) => ({ data: { id, workMs: 25 } })));
    await producer.publish(DEMO_STREAM, { id: 999, poison: true });

    // Two handler slots and 25 ms per job: the scrape catches the backlog mid-way.
    const during = await waitFor(
      async () => {
        const samples = await scrape();
        const done = handled(samples, 'success');
        return done > 0 && done < jobs ? samples : undefined;
      },
      { what: 'a scrape while jobs are being processed', timeoutMs: 30_000 },
    );
    expect(during.get(`redstream_stream_length{stream="${DEMO_STREAM}"}`)).toBeGreaterThan(0);
    expect(during.get(`redstream_group_lag{${labels}}`)! + during.get(`redstream_group_pending{${labels}}`)!).toBeGreaterThan(0);

    const after = await waitFor(
      async () => {
        const samples = await scrape();
        // The outcome is counted when the dead letter is decided; its write to the DLQ stream lands a moment later.
        const deadLettered = handled(samples, 'dead-lettered') === 1 && samples.get(`redstream_dead_letter_length{stream="${DEMO_STREAM}"}`) === 1;
        return handled(samples, 'success') === jobs && deadLettered ? samples : undefined;
      },
      { what: `${jobs} successes and 1 dead letter (counted and written) in /metrics`, timeoutMs: 30_000 },
    );
    expect(handled(after, 'success')).toBeGreaterThan(handled(during, 'success'));
    expect(after.get(`redstream_handler_duration_seconds_count{${labels},outcome="success"}`)).toBe(jobs);
    expect(after.get(`redstream_handler_duration_seconds_sum{${labels},outcome="success"}`)).toBeGreaterThanOrEqual(jobs * 0.02);
    expect(after.get(`redstream_dead_letter_length{stream="${DEMO_STREAM}"}`)).toBe(1);
    await waitFor(async () => {
      const samples = await scrape();
      return samples.get(`redstream_group_lag{${labels}}`) === 0 && samples.get(`redstream_group_pending{${labels}}`) === 0;
    }, { what: 'lag and pending back to 0' });
    await producer.close();
  });
});
