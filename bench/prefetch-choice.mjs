/**
 * `npm run bench:prefetch`: the measurement behind the default `prefetch`. A NestJS worker
 * with default options except `prefetch` drains a pre-filled stream with handlers that do
 * nothing (with and without idempotency keys), 1 ms and 50 ms of asynchronous work, and takes a live stream at a fixed rate
 * (publish → handler start latency), for each candidate; the candidates are interleaved run
 * by run and every figure is the median of the runs. Prints a markdown table and writes
 * bench/prefetch-choice.json.
 *
 * The 50 ms latency run is offered 1,000 msg/s, not 2,000: at the default concurrency of 64
 * a 50 ms handler finishes at most 1,280 msg/s, so 2,000 msg/s would only measure a backlog
 * that grows whatever the prefetch.
 *
 * Environment:
 *   PREFETCH_CANDIDATES      comma-separated prefetch values (default 64,256,512,1024: 1x, 4x, 8x concurrency, the cap)
 *   PREFETCH_RUNS            runs per figure (default 3)
 *   PREFETCH_N               messages of the no-op drain (default 100,000; 1 ms: half, 50 ms: 5,000)
 *   PREFETCH_LATENCY_SECONDS length of each latency run after 1 s of warm-up (default 5)
 *   PREFETCH_RESULTS         where to write the JSON (default bench/prefetch-choice.json)
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolveConsumerOptions } from '@redstream/core';
import { machineDetails } from './lib/machine.mjs';
import { BenchRedis } from './lib/redis-server.mjs';
import { drainThroughput, latencyAtRate } from './lib/scenarios.mjs';
import { median } from './lib/stats.mjs';

const env = process.env;
const int = (name, fallback) => (env[name] ? Number(env[name].replaceAll('_', '')) : fallback);
const defaults = resolveConsumerOptions({ url: 'redis://127.0.0.1:6379', group: 'bench' });
const candidates = (env.PREFETCH_CANDIDATES ?? '64,256,512,1024').split(',').map(Number);
const runs = int('PREFETCH_RUNS', 3);
const n = int('PREFETCH_N', 100_000);
const latencySeconds = int('PREFETCH_LATENCY_SECONDS', 5);
const warmupSeconds = 1;

const worker = (prefetch, workMs) => ({ system: 'redstream', config: { workMs, server: { prefetch } } });
const scenarios = [
  { id: 'drain.noop', title: 'drain, no-op (msg/s)', measure: (redis, id, p) => drainThroughput(redis, id, n, worker(p, 0)) },
  { id: 'drain.keyed', title: 'drain, no-op, idempotency keys (msg/s)', measure: (redis, id, p) => drainThroughput(redis, id, n, worker(p, 0), { keyed: true }) },
  { id: 'drain.1ms', title: 'drain, 1 ms handler (msg/s)', measure: (redis, id, p) => drainThroughput(redis, id, Math.floor(n / 2), worker(p, 1)) },
  { id: 'drain.50ms', title: 'drain, 50 ms handler (msg/s)', measure: (redis, id, p) => drainThroughput(redis, id, 5_000, worker(p, 50)) },
  { id: 'latency.1ms', title: 'p50 / p99 at 2,000 msg/s, 1 ms handler (ms)', latency: true,
    measure: (redis, id, p) => latencyAtRate(redis, id, worker(p, 1), 'redstream-burst', 2_000, latencySeconds, warmupSeconds) },
  { id: 'latency.50ms', title: 'p50 / p99 at 1,000 msg/s, 50 ms handler (ms)', latency: true,
    measure: (redis, id, p) => latencyAtRate(redis, id, worker(p, 50), 'redstream-burst', 1_000, latencySeconds, warmupSeconds) },
];

const results = { settings: { concurrency: defaults.concurrency, defaultPrefetch: defaults.prefetch, candidates, runs, n, latencySeconds, warmupSeconds }, machine: undefined, figures: {} };

async function main() {
  const redis = await BenchRedis.start('none');
  try {
    results.machine = machineDetails(await redis.version());
    console.error(`prefetch choice: concurrency ${defaults.concurrency} (default), prefetch ${candidates.join('/')}, ${runs} run(s), load ${results.machine.loadAverageAtStart.join(' / ')}`);
    for (let run = 1; run <= runs; run++) {
      for (const prefetch of candidates) {
        for (const scenario of scenarios) {
          const id = `pf.${scenario.id}.p${prefetch}.r${run}`;
          let value;
          try {
            value = await scenario.measure(redis, id, prefetch);
          } catch (error) {
            console.error(`${id} failed: ${error.message}`);
            value = scenario.latency ? { p50: NaN, p99: NaN, max: NaN } : NaN;
          }
          await redis.flush();
          ((results.figures[scenario.id] ??= {})[prefetch] ??= []).push(scenario.latency ? { p50: value.p50, p99: value.p99 } : Math.round(value));
          console.error(`run ${run}/${runs} prefetch ${String(prefetch).padStart(5)} ${scenario.id.padEnd(13)} ${scenario.latency ? `p50 ${value.p50.toFixed(2)} ms, p99 ${value.p99.toFixed(2)} ms` : `${Math.round(value).toLocaleString('en-US')} msg/s`}`);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  results.machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
  results.medians = {};
  for (const scenario of scenarios) {
    for (const prefetch of candidates) {
      const values = results.figures[scenario.id][prefetch];
      (results.medians[scenario.id] ??= {})[prefetch] = scenario.latency
        ? { p50: round(median(values.map((v) => v.p50))), p99: round(median(values.map((v) => v.p99))) }
        : Math.round(median(values));
    }
  }
  console.log(render());
  const out = env.PREFETCH_RESULTS ?? fileURLToPath(new URL('./prefetch-choice.json', import.meta.url));
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.error(`wrote ${out}`);
}

function render() {
  const m = results.machine;
  const lines = [
    `${m.cpuModel}, ${m.cores} cores shared by worker, producer and redis-server; Node ${m.node}; Redis ${m.redis}; load ${m.loadAverageAtStart.join(' / ')} at start, ${m.loadAverageAtEnd.join(' / ')} at end.`,
    `Concurrency ${defaults.concurrency} (default); median of ${runs} interleaved run(s); no persistence.`,
    '',
    `| prefetch | ${scenarios.map((s) => s.title).join(' | ')} |`,
    `|---:|${scenarios.map(() => '---:').join('|')}|`,
  ];
  for (const prefetch of candidates) {
    const cells = scenarios.map((s) => {
      const v = results.medians[s.id][prefetch];
      return s.latency ? `${v.p50.toFixed(2)} / ${v.p99.toFixed(2)}` : v.toLocaleString('en-US');
    });
    const mark = prefetch === defaults.prefetch ? ' (default)' : '';
    lines.push(`| ${prefetch}${mark} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

const round = (v) => Number(v.toFixed(2));

await main();
