/**
 * `npm run bench:partitions`: drain throughput of a partitioned stream on a local
 * three-primary Redis Cluster beside one stream on one redis-server, with the CPU each
 * redis-server used during the drain (INFO cpu used_cpu_sys + used_cpu_user, deltas) and
 * the workers' own CPU. Worker processes (core StreamConsumer, no-op handler), a stream
 * pre-filled with N small JSON messages over 1,000 partition keys; the scenarios are
 * interleaved run by run so machine noise spreads over all of them; medians of BENCH_RUNS.
 * Prints a markdown table and writes bench/partitions.json. Nothing here is asserted.
 *
 * To add a figure, add a row to SCENARIOS: `where` 'single' or 'cluster', `partitions`
 * (0: a plain stream), `workers` (processes, default 1; paused while they start, then
 * resumed at once), `handlerOptions` passed to subscribe() (e.g. `{ ordered: true }`).
 *
 * Environment: BENCH_N (default 100,000), BENCH_RUNS (default 3), BENCH_QUICK=1 (20,000, one
 * run), BENCH_ONLY=id1,id2 (ids starting with), BENCH_CONCURRENCY (default 1024).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { KeyBuilder, RedisConnection, StreamProducer, resumeGroup, setPartitionCount } from '@redstream/core';
import { BenchCluster } from './lib/bench-cluster.mjs';
import { BenchRedis } from './lib/redis-server.mjs';
import { median, spread } from './lib/stats.mjs';

export const SCENARIOS = [
  { id: 'partitions.single', label: 'one stream on one redis-server', where: 'single', partitions: 0, handlerOptions: {} },
  { id: 'partitions.single.3w', label: 'one stream on one redis-server, 3 workers', where: 'single', partitions: 0, workers: 3, handlerOptions: {} },
  { id: 'partitions.unordered', label: '6 partitions on a three-primary cluster, unordered', where: 'cluster', partitions: 6, handlerOptions: {} },
  { id: 'partitions.unordered.3w', label: '6 partitions on a three-primary cluster, unordered, 3 workers', where: 'cluster', partitions: 6, workers: 3, handlerOptions: {} },
  { id: 'partitions.ordered', label: '6 partitions on a three-primary cluster, ordered', where: 'cluster', partitions: 6, handlerOptions: { ordered: true } },
  { id: 'partitions.ordered.3w', label: '6 partitions on a three-primary cluster, ordered, 3 workers', where: 'cluster', partitions: 6, workers: 3, handlerOptions: { ordered: true } },
];

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const int = (name, fallback) => (env[name] ? Number(env[name].replaceAll('_', '')) : fallback);
const n = int('BENCH_N', quick ? 20_000 : 100_000);
const runs = int('BENCH_RUNS', quick ? 1 : 3);
const concurrency = int('BENCH_CONCURRENCY', 1024);
const only = env.BENCH_ONLY?.split(',').filter(Boolean);
const scenarios = SCENARIOS.filter((s) => !only || only.some((prefix) => s.id.startsWith(prefix)));
const WORKER = fileURLToPath(new URL('./lib/partition-drain-worker.mjs', import.meta.url));
const KEYS = 1_000;
const FILL_BATCH = 5_000;

/** One drain: fresh servers, fill, then the workers drain (started paused, resumed at once) while the servers' CPU is read before and after. */
async function drainOnce(scenario, run) {
  const servers = scenario.where === 'cluster' ? await BenchCluster.start() : { nodes: [await BenchRedis.start('none')] };
  const where = scenario.where === 'cluster' ? { cluster: servers.options } : { url: servers.nodes[0].url };
  const stream = `bench.partitions.${run}`;
  try {
    const producer = await StreamProducer.connect({ ...where, logger: { log() {}, warn() {}, error() {} } });
    try {
      if (scenario.partitions > 0) await setPartitionCount(producer.connection, new KeyBuilder(), stream, scenario.partitions);
      for (let i = 0; i < n; i += FILL_BATCH) {
        const size = Math.min(FILL_BATCH, n - i);
        await producer.publishMany(stream, Array.from({ length: size }, (_, j) => ({ data: { n: i + j, at: Date.now() }, options: { partitionKey: `key-${(i + j) % KEYS}` } })));
      }
    } finally {
      await producer.close();
    }
    const connection = await RedisConnection.open(where, 'bench-control');
    const keys = new KeyBuilder();
    // Paused while the workers start, so that they all begin at once (their partitions share the stream's pause key).
    await connection.send(['SET', keys.forStream(stream).paused('bench'), '1']);
    const workers = await Promise.all(Array.from({ length: scenario.workers ?? 1 }, () => startWorker(where, stream, scenario.handlerOptions)));
    const before = await Promise.all(servers.nodes.map((node) => node.cpuSeconds()));
    const started = performance.now();
    await resumeGroup(connection, keys, stream, 'bench');
    await new Promise((resolve) => {
      const check = () => (workers.reduce((sum, w) => sum + w.handled, 0) >= n ? resolve() : undefined);
      for (const worker of workers) worker.onProgress = check;
    });
    const ms = performance.now() - started;
    const after = await Promise.all(servers.nodes.map((node) => node.cpuSeconds()));
    const workerCpuMs = (await Promise.all(workers.map((w) => w.stop()))).reduce((a, b) => a + b, 0);
    await connection.close();
    return { rate: (n / ms) * 1000, ms, workerCpuMs, serverCpuMs: after.map((a, i) => (a - before[i]) * 1000) };
  } finally {
    await (servers.stop ? servers.stop() : Promise.all(servers.nodes.map((node) => node.stop())));
  }
}

/** A drain worker process; `handled` follows its progress lines; stop() resolves with its CPU ms. */
function startWorker(where, stream, handlerOptions) {
  const child = spawn(process.execPath, [WORKER], {
    env: { ...process.env, WHERE: JSON.stringify(where), STREAM: stream, CONCURRENCY: String(concurrency), HANDLER_OPTIONS: JSON.stringify(handlerOptions) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const worker = { handled: 0, cpuMs: 0, onProgress: () => undefined };
  let buffered = '';
  let ready;
  const isReady = new Promise((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`drain worker exited ${code} before ready`)));
  });
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      if (line === 'ready') ready();
      else if (line.startsWith('h ')) {
        worker.handled = Number(line.slice(2));
        worker.onProgress();
      } else if (line.startsWith('cpu ')) worker.cpuMs = Number(line.slice(4));
    }
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  worker.stop = async () => {
    child.kill('SIGTERM');
    await exited;
    return worker.cpuMs;
  };
  return isReady.then(() => worker);
}

const results = new Map(scenarios.map((s) => [s.id, []]));
const load = loadavg()[0];
for (let run = 0; run < runs; run++) {
  for (const scenario of scenarios) {
    const result = await drainOnce(scenario, run);
    results.get(scenario.id).push(result);
    process.stderr.write(`${scenario.id} run ${run + 1}/${runs}: ${Math.round(result.rate)} msg/s, redis CPU ${result.serverCpuMs.map((c) => Math.round(c)).join(' / ')} ms\n`);
  }
}

const rows = scenarios.map((scenario) => {
  const list = results.get(scenario.id);
  const rate = median(list.map((r) => r.rate));
  const servers = list[0].serverCpuMs.map((_, i) => median(list.map((r) => r.serverCpuMs[i])));
  const perServerUsPerMsg = servers.map((cpuMs) => (cpuMs * 1000) / n);
  const drainSeconds = median(list.map((r) => r.ms)) / 1000;
  return {
    id: scenario.id,
    label: scenario.label,
    rate,
    spread: spread(list.map((r) => r.rate)),
    serverCpuMs: servers,
    serverUsPerMsg: perServerUsPerMsg,
    serverBusy: servers.map((cpuMs) => cpuMs / 1000 / drainSeconds),
    workerUsPerMsg: (median(list.map((r) => r.workerCpuMs)) * 1000) / n,
  };
});
const base = rows.find((r) => r.id === 'partitions.single');
const fmt = (v, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const lines = [
  `Drain of ${fmt(n)} messages by worker processes of concurrency ${fmt(concurrency)}, medians of ${runs} run(s); load average at start ${load.toFixed(2)}.`,
  '',
  '| scenario | msg/s | vs one stream | spread | redis-server CPU per message (µs, each server) | each server busy | worker CPU per message (µs) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    `| ${r.label} | ${fmt(r.rate)} | ${base ? `${fmt(r.rate / base.rate, 2)}×` : '-'} | ${fmt(r.spread * 100)}% | ${r.serverUsPerMsg.map((v) => fmt(v, 2)).join(' / ')} | ${r.serverBusy.map((v) => `${fmt(v * 100)}%`).join(' / ')} | ${fmt(r.workerUsPerMsg, 2)} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
writeFileSync(new URL('./partitions.json', import.meta.url), `${JSON.stringify({ n, runs, concurrency, loadAverage: load, rows, runsRaw: Object.fromEntries(results) }, null, 2)}\n`);
