/**
 * `npm run bench`: redstream side by side with BullMQ 5.x, NestJS's built-in Redis transport
 * and a raw node-redis v4 loop (checked by an ioredis one), on private redis-server processes
 * (no persistence, then AOF everysec), and with the anchors of bench/anchors/: BullMQ 6.x,
 * NestJS's RabbitMQ transport and NATS JetStream (each skipped with a note when its server
 * is not reachable; their packages are installed into bench/anchors on first use).
 * Producers and workers are separate child processes; every figure is the median
 * of BENCH_RUNS runs, the scenarios interleaved run by run so that machine noise spreads
 * over all of them. Prints markdown tables and writes bench/results.json.
 *
 * Environment:
 *   BENCH_QUICK=1            about a minute: N=20,000, one run, no AOF, short latency and memory runs
 *   BENCH_N                  messages per throughput figure (default 200,000)
 *   BENCH_RUNS               runs per figure (default 3)
 *   BENCH_CONCURRENCY        redstream worker `concurrency` of the tuned rows (default 1024); the
 *                            "default options" rows give no option beyond url, group and consumer
 *   BENCH_MEMORY_N           messages of the memory run (default 1,000,000)
 *   BENCH_MEMORY_RATE        offered rate of the memory run, msg/s (default 25,000)
 *   BENCH_LATENCY_SECONDS    length of each latency run at 2,000 msg/s (default 10)
 *   BENCH_LATENCY_WARMUP_SECONDS  offered before, not counted in p50/p99/max (default 2)
 *   BENCH_AOF=0|1            without / with the AOF everysec figures (default: with, except quick)
 *   BENCH_ONLY=a,b           only the figures whose id starts with one of these (`drain.bullmq$`: that id alone)
 *   BENCH_PROFILE_DIR=dir    V8 CPU profiles of every producer and worker process
 *   BENCH_NODE_ARGS='...'    extra node flags for every producer and worker (e.g. --trace-gc)
 *   BENCH_VERBOSE=1          worker CPU per message on stderr
 *   BENCH_RABBITMQ_URL       RabbitMQ of the Nest RMQ anchor (default amqp://guest:guest@127.0.0.1:5672)
 *   BENCH_NATS_URL           nats-server of the JetStream anchor (default 127.0.0.1:4222)
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bullmq6Anchor, bullmq6Version } from './anchors/bullmq6.mjs';
import { jetstreamAnchor } from './anchors/jetstream.mjs';
import { nestRmqAnchor } from './anchors/nest-rmq.mjs';
import { ensureAnchorsInstalled } from './lib/anchors.mjs';
import { machineDetails } from './lib/machine.mjs';
import { resolveConsumerOptions } from '@redstream/core';
import { BenchRedis } from './lib/redis-server.mjs';
import { drainThroughput, latencyAtRate, liveThroughput, memoryOverRun, publishRate } from './lib/scenarios.mjs';
import { median, spread } from './lib/stats.mjs';

const env = process.env;
const quick = env.BENCH_QUICK === '1';
const int = (name, fallback) => (env[name] ? Number(env[name].replaceAll('_', '')) : fallback);
const settings = {
  quick,
  n: int('BENCH_N', quick ? 20_000 : 200_000),
  runs: int('BENCH_RUNS', quick ? 1 : 3),
  concurrency: int('BENCH_CONCURRENCY', 1024),
  burst: 1000,
  latencyRate: 2000,
  latencySeconds: int('BENCH_LATENCY_SECONDS', quick ? 3 : 10),
  latencyWarmupSeconds: int('BENCH_LATENCY_WARMUP_SECONDS', quick ? 1 : 2),
  memoryN: int('BENCH_MEMORY_N', quick ? 100_000 : 1_000_000),
  memoryRate: int('BENCH_MEMORY_RATE', 25_000),
  aof: env.BENCH_AOF === undefined ? !quick : env.BENCH_AOF !== '0',
  bullmqConcurrencyCandidates: quick ? [256] : [16, 64, 256, 1024],
  bullmqConcurrency: 0,
  prefetchCandidates: quick ? [1024] : [64, 256, 1024, 4096],
  pullCandidates: quick ? [1024] : [64, 256, 1024, 4096],
};
const only = env.BENCH_ONLY?.split(',').filter(Boolean);
const n = settings.n;
const awaitedCount = Math.min(10_000, Math.max(1000, Math.floor(n / 10)));

const redstream = (server = {}, extras = undefined) => ({ system: 'redstream', config: { server: { concurrency: settings.concurrency, ...server }, extras } });
/** A worker as a new user starts it: no `concurrency`, no `prefetch`, nothing but `server`'s extras. */
const redstreamDefaults = (server = {}) => ({ system: 'redstream', config: { server } });
const DEFAULTS_RESOLVED = resolveConsumerOptions({ url: 'redis://127.0.0.1:6379', group: 'bench' });
const DEFAULTS = () => `default options (concurrency ${DEFAULTS_RESOLVED.concurrency}, prefetch ${DEFAULTS_RESOLVED.prefetch})`;
const bullmq = () => ({ system: 'bullmq', config: { concurrency: settings.bullmqConcurrency } });
const raw = { system: 'raw', config: {} };
const rawIoredis = { system: 'raw-ioredis', config: {} };
const nestRedis = { system: 'nest-redis', config: {} };
const C = () => settings.concurrency.toLocaleString('en-US');
const bullmq5 = `BullMQ ${createRequire(import.meta.url)('bullmq/package.json').version}`;
const anchors = [bullmq6Anchor(settings), nestRmqAnchor(settings), jetstreamAnchor(settings)];
const anchorFigures = (section) => anchors.flatMap((anchor) => anchor.figures.filter((f) => f.section === section));

/** Every figure: id, section, label, unit, how to measure it once, and on which servers. */
const figures = [
  { id: 'publish.redstream.awaited', section: 'publish', label: () => 'redstream `client.emit`, each awaited', unit: 'msg/s', aof: false,
    measure: (redis, id) => publishRate(redis, id, 'redstream-awaited', awaitedCount) },
  { id: 'publish.redstream.burst', section: 'publish', label: () => 'redstream `client.emit`, unawaited bursts of 1,000', unit: 'msg/s', aof: true,
    measure: (redis, id) => publishRate(redis, id, 'redstream-burst', n) },
  { id: 'publish.redstream.keyed', section: 'publish', label: () => 'redstream `emit` with idempotency key (producer dedupe), bursts', unit: 'msg/s', aof: false,
    measure: (redis, id) => publishRate(redis, id, 'redstream-keyed', n) },
  { id: 'publish.bullmq.add', section: 'publish', label: () => `${bullmq5} \`queue.add\`, each awaited`, unit: 'msg/s', aof: false,
    measure: (redis, id) => publishRate(redis, id, 'bullmq-add', awaitedCount) },
  { id: 'publish.bullmq.addBulk', section: 'publish', label: () => `${bullmq5} \`queue.addBulk\` of 1,000`, unit: 'msg/s', aof: true,
    measure: (redis, id) => publishRate(redis, id, 'bullmq-addBulk', n) },
  { id: 'publish.raw.pipelined', section: 'publish', label: () => 'raw node-redis XADD pipelined, bursts of 1,000 (same fields: data, id, ts)', unit: 'msg/s', aof: true,
    measure: (redis, id) => publishRate(redis, id, 'raw-pipelined', n) },
  { id: 'publish.raw.dataOnly', section: 'publish', label: () => 'raw node-redis XADD pipelined, `data` field only', unit: 'msg/s', aof: false,
    measure: (redis, id) => publishRate(redis, id, 'raw-data-only', n) },

  { id: 'drain.redstream', section: 'drain', label: () => `redstream, NestJS \`@EventPattern\` worker, concurrency ${C()}`, unit: 'msg/s', aof: true,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream()) },
  { id: 'drain.redstream.defaults', section: 'drain', label: () => `redstream, NestJS \`@EventPattern\` worker, ${DEFAULTS()}`, unit: 'msg/s', aof: true,
    measure: (redis, id) => drainThroughput(redis, id, n, redstreamDefaults()) },
  { id: 'drain.core', section: 'drain', label: () => `@redstream/core StreamConsumer alone (no NestJS), async no-op handler, concurrency ${C()}`, unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, { system: 'core', config: { server: { concurrency: settings.concurrency } } }) },
  { id: 'drain.bullmq', section: 'drain', label: () => `${bullmq5} worker, concurrency ${settings.bullmqConcurrency} (best of ${settings.bullmqConcurrencyCandidates.join('/')})`, unit: 'msg/s', aof: true,
    measure: (redis, id) => drainThroughput(redis, id, n, bullmq()) },
  ...anchorFigures('drain'),
  { id: 'drain.raw', section: 'drain', label: () => 'raw node-redis loop: XREADGROUP COUNT 500, two reads in flight, JSON.parse, XACK per read on a 2nd connection', unit: 'msg/s', aof: true,
    measure: (redis, id) => drainThroughput(redis, id, n, raw) },
  { id: 'drain.rawIoredis', section: 'drain', label: () => 'raw ioredis loop (independent check): XREADGROUP COUNT 500, next read sent on each reply, JSON.parse, XACK per read on a 2nd connection', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, rawIoredis) },

  { id: 'live.redstream', section: 'live', label: () => `redstream worker (concurrency ${C()}) + \`emit\` bursts producer`, unit: 'msg/s', aof: true,
    measure: async (redis, id) => (await liveThroughput(redis, id, n, redstream(), 'redstream-burst')).rate },
  { id: 'live.redstream.defaults', section: 'live', label: () => `redstream worker, ${DEFAULTS()}, + \`emit\` bursts producer`, unit: 'msg/s', aof: true,
    measure: async (redis, id) => (await liveThroughput(redis, id, n, redstreamDefaults(), 'redstream-burst')).rate },
  { id: 'live.bullmq', section: 'live', label: () => `${bullmq5} worker (concurrency ${settings.bullmqConcurrency}) + \`addBulk\` producer`, unit: 'msg/s', aof: true,
    measure: async (redis, id) => (await liveThroughput(redis, id, n, bullmq(), 'bullmq-addBulk')).rate },
  ...anchorFigures('live'),
  { id: 'live.nestRedis', section: 'live', label: () => 'NestJS built-in Redis transport (pub/sub, not durable) + `emit` bursts', unit: 'msg/s', aof: false,
    measure: async (redis, id) => (await liveThroughput(redis, id, n, nestRedis, 'nest-redis-burst')).rate },
  { id: 'live.raw', section: 'live', label: () => 'raw loop + raw pipelined XADD producer', unit: 'msg/s', aof: true,
    measure: async (redis, id) => (await liveThroughput(redis, id, n, raw, 'raw-pipelined')).rate },

  { id: 'latency.redstream', section: 'latency', label: () => `redstream (\`emit\` → \`@EventPattern\`), concurrency ${C()}`, unit: 'ms', aof: false,
    measure: (redis, id) => latencyAtRate(redis, id, redstream(), 'redstream-burst', settings.latencyRate, settings.latencySeconds, settings.latencyWarmupSeconds) },
  { id: 'latency.redstream.defaults', section: 'latency', label: () => `redstream (\`emit\` → \`@EventPattern\`), ${DEFAULTS()}`, unit: 'ms', aof: false,
    measure: (redis, id) => latencyAtRate(redis, id, redstreamDefaults(), 'redstream-burst', settings.latencyRate, settings.latencySeconds, settings.latencyWarmupSeconds) },
  { id: 'latency.bullmq', section: 'latency', label: () => `${bullmq5} (\`add\` → worker), concurrency ${settings.bullmqConcurrency}`, unit: 'ms', aof: false,
    measure: (redis, id) => latencyAtRate(redis, id, bullmq(), 'bullmq-add', settings.latencyRate, settings.latencySeconds, settings.latencyWarmupSeconds) },

  { id: 'feature.dedupe.on', section: 'feature', label: () => `drain of entries with idempotency keys, ${DEFAULTS()}, consumer dedupe on (default); unkeyed: the default-options drain above`, unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstreamDefaults(), { keyed: true }) },
  { id: 'feature.dedupe.off', section: 'feature', label: () => 'same entries, default options but `dedupe: false`', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstreamDefaults({ dedupe: false }), { keyed: true }) },
  { id: 'feature.dedupe.prefetch', section: 'feature', label: () => 'same entries, default options but `prefetch: 1024` (README "Keyed messages: where the cost is")', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstreamDefaults({ prefetch: 1024 }), { keyed: true }) },
  { id: 'feature.dedupe.tuned', section: 'feature', label: () => `drain of entries with idempotency keys, concurrency ${C()}, dedupe on (unkeyed: the first drain row)`, unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream(), { keyed: true }) },
  { id: 'feature.retention.off', section: 'feature', label: () => 'drain, `retention: false` (on: the drain figure above)', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream({ retention: false })) },
  { id: 'feature.batch', section: 'feature', label: () => 'drain with a batch handler, `@EventPattern(p, { batch: { maxSize: 100, maxWaitMs: 50 } })` (plain: the drain figure above)', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream({}, { batch: { maxSize: 100, maxWaitMs: 50 } })) },
  { id: 'feature.priorities', section: 'feature', label: () => 'drain with priorities on (`priority: { weights }` default 6/3/1), entries spread over high, normal and low (plain: the drain figure above)', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream({ priority: {} }), { prioritized: true }) },
  { id: 'feature.events.on', section: 'feature', label: () => 'drain, lifecycle `events: true` (off: the drain figure above)', unit: 'msg/s', aof: false,
    measure: (redis, id) => drainThroughput(redis, id, n, redstream({ events: true })) },
].filter((f) => !only || only.some((prefix) => (prefix.endsWith('$') ? f.id === prefix.slice(0, -1) : f.id.startsWith(prefix))));

const results = { settings, machine: undefined, figures: {}, bullmqTuning: {}, anchors: {}, notes: [], memory: undefined, targets: [] };

async function tuneBullmq(redis) {
  const tuneN = Math.min(n, 50_000);
  let best = { concurrency: settings.bullmqConcurrencyCandidates[0], rate: 0 };
  for (const concurrency of settings.bullmqConcurrencyCandidates) {
    const rate = await drainThroughput(redis, `tune.bullmq.c${concurrency}`, tuneN, { system: 'bullmq', config: { concurrency } });
    await redis.flush();
    results.bullmqTuning[concurrency] = Math.round(rate);
    log(`  BullMQ concurrency ${concurrency}: ${fmt(rate)} msg/s (${tuneN.toLocaleString('en-US')} jobs)`);
    if (rate > best.rate) best = { concurrency, rate };
  }
  settings.bullmqConcurrency = best.concurrency;
}

/**
 * Installs the anchors' package if needed, drops the figures of an anchor whose server is
 * not reachable (with a note in the output), and tunes the others' knob once.
 */
async function prepareAnchors(redis) {
  const wanted = anchors.filter((anchor) => figures.some((f) => f.anchor === anchor.id));
  if (wanted.length === 0) return;
  const installFailure = ensureAnchorsInstalled(log);
  for (const anchor of wanted) {
    const reason = installFailure ? `${installFailure}: ${anchor.id} rows skipped` : await anchor.unavailable();
    if (reason) {
      log(`note: ${reason}`);
      results.notes.push(reason);
      figures.splice(0, figures.length, ...figures.filter((f) => f.anchor !== anchor.id));
      continue;
    }
    await anchor.tune(redis, Math.min(n, 50_000), log);
    results.anchors[anchor.id] = anchor.tuned;
  }
}

async function main() {
  const servers = { none: await BenchRedis.start('none') };
  if (settings.aof) servers.aof = await BenchRedis.start('aof');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      log(`${signal}: stopping the bench's redis-server processes`);
      void Promise.all(Object.values(servers).map((s) => s.stop())).finally(() => process.exit(130));
    });
  }
  try {
    results.machine = machineDetails(await servers.none.version());
    log(`redstream bench: N=${n.toLocaleString('en-US')}, ${settings.runs} run(s), redstream concurrency ${settings.concurrency}, ${results.machine.cpuModel} x${results.machine.cores}, Node ${results.machine.node}, Redis ${results.machine.redis}`);
    if (figures.some((f) => f.id.split('.')[1] === 'bullmq')) {
      log(`tuning ${bullmq5} worker concurrency (no persistence):`);
      await tuneBullmq(servers.none);
    }
    await prepareAnchors(servers.none);
    for (let run = 1; run <= settings.runs; run++) {
      for (const [persistence, redis] of Object.entries(servers)) {
        for (const figure of figures) {
          if (persistence === 'aof' && !figure.aof) continue;
          const id = `${figure.id}.${persistence}.r${run}`;
          const started = Date.now();
          let value;
          try {
            value = await figure.measure(redis, id);
          } catch (error) {
            log(`run ${run} ${persistence} ${figure.id} failed: ${error.message}`);
            value = figure.unit === 'ms' ? { p50: NaN, p99: NaN, max: NaN } : NaN;
          }
          await redis.flush();
          const entry = (results.figures[`${figure.id}@${persistence}`] ??= { id: figure.id, persistence, section: figure.section, label: figure.label(), unit: figure.unit, runs: [] });
          entry.runs.push(value);
          log(`run ${run}/${settings.runs} ${persistence.padEnd(4)} ${figure.id.padEnd(26)} ${describe(value, figure.unit)}  (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        }
      }
    }
    for (const entry of Object.values(results.figures)) summarize(entry);
    if (!only || only.some((prefix) => 'memory'.startsWith(prefix))) {
      log(`memory: ${settings.memoryN.toLocaleString('en-US')} messages at ${settings.memoryRate.toLocaleString('en-US')}/s through a redstream worker with default retention`);
      results.memory = await memoryOverRun(servers.none, 'memory.redstream', settings.memoryN, redstream(), 'redstream-burst', {
        rate: settings.memoryRate,
        settleMs: 11_000,
      });
    }
    results.machine.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(2)));
    results.targets = targets();
    const report = render();
    console.log(report);
    const out = env.BENCH_RESULTS ?? fileURLToPath(new URL('./results.json', import.meta.url));
    writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
    log(`wrote ${out}`);
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
}

function summarize(entry) {
  if (entry.unit === 'ms') {
    entry.median = {};
    for (const key of ['p50', 'p99', 'max']) entry.median[key] = round(median(entry.runs.map((r) => r[key])), 2);
    entry.median.p99WithWarmup = round(median(entry.runs.map((r) => r.withWarmup?.p99)), 2);
    entry.spread = round(spread(entry.runs.map((r) => r.p99)), 2);
    const rounded = (r) => ({ count: r.count, p50: round(r.p50, 3), p99: round(r.p99, 3), max: round(r.max, 3) });
    entry.runs = entry.runs.map((r) => ({ ...rounded(r), withWarmup: r.withWarmup && rounded(r.withWarmup) }));
  } else {
    entry.median = Math.round(median(entry.runs));
    entry.spread = round(spread(entry.runs), 2);
    entry.runs = entry.runs.map((r) => Math.round(r));
  }
}

const value = (id, persistence = 'none') => results.figures[`${id}@${persistence}`]?.median;

function targets() {
  const list = [];
  /** `goal` undefined: for information. `bPersistence`: where b was measured, when not where a was. */
  const ratio = (target, a, b, goal, persistence = 'none', strict = false, bPersistence = persistence) => {
    const x = value(a, persistence);
    const y = value(b, bPersistence);
    if (x === undefined || y === undefined) return;
    const measured = round(x / y, 2);
    if (goal === undefined) list.push({ target, persistence, measured, goal: '–', met: undefined });
    else list.push({ target, persistence, measured, goal, met: strict ? measured > goal : measured >= goal });
  };
  for (const persistence of settings.aof ? ['none', 'aof'] : ['none']) {
    ratio(`e2e draining, default options, vs ${bullmq5} (x)`, 'drain.redstream.defaults', 'drain.bullmq', 8, persistence);
    ratio('e2e draining, default options, vs raw loop (goal 0.9)', 'drain.redstream.defaults', 'drain.raw', 0.8, persistence);
    ratio(`e2e with live producer, default options, vs ${bullmq5} (x)`, 'live.redstream.defaults', 'live.bullmq', 7, persistence);
    ratio(`e2e draining, concurrency ${C()}, vs ${bullmq5} (x)`, 'drain.redstream', 'drain.bullmq', 8, persistence);
    ratio(`e2e draining, concurrency ${C()}, vs raw loop`, 'drain.redstream', 'drain.raw', 0.5, persistence);
    ratio(`e2e with live producer, concurrency ${C()}, vs ${bullmq5} (x)`, 'live.redstream', 'live.bullmq', 7, persistence);
    ratio('unawaited publish bursts vs raw pipelined XADD (same fields)', 'publish.redstream.burst', 'publish.raw.pipelined', 0.6, persistence);
    if (value('drain.bullmq6', persistence) !== undefined || value('live.bullmq6', persistence) !== undefined) {
      ratio(`e2e draining vs BullMQ ${bullmq6Version()} (x)`, 'drain.redstream', 'drain.bullmq6', 8, persistence);
      ratio(`e2e with live producer vs BullMQ ${bullmq6Version()} (x)`, 'live.redstream', 'live.bullmq6', 7, persistence);
    }
    // RabbitMQ and JetStream keep their own disk whatever the Redis setting: measured once,
    // compared with redstream without persistence and with AOF everysec. No goal was set.
    ratio('e2e draining vs NestJS RMQ transport, durable (x)', 'drain.redstream', 'drain.nestRmq', undefined, persistence, false, 'none');
    ratio('e2e with live producer vs NestJS RMQ transport, durable (x)', 'live.redstream', 'live.nestRmq', undefined, persistence, false, 'none');
    ratio('e2e draining vs NATS JetStream (x)', 'drain.redstream', 'drain.jetstream', undefined, persistence, false, 'none');
    ratio('e2e with live producer vs NATS JetStream (x)', 'live.redstream', 'live.jetstream', undefined, persistence, false, 'none');
  }
  ratio('drain with a batch handler (maxSize 100) vs the plain drain (for information)', 'feature.batch', 'drain.redstream', undefined);
  ratio('raw node-redis loop vs the independent ioredis loop (the ceiling checked)', 'drain.raw', 'drain.rawIoredis', undefined);
  ratio('e2e with live producer vs NestJS Redis transport (x)', 'live.redstream', 'live.nestRedis', 1, 'none', true);
  ratio('unawaited publish bursts vs raw XADD of `data` alone (for information)', 'publish.redstream.burst', 'publish.raw.dataOnly', 0.6);
  ratio('keyed drain vs unkeyed drain, default options (consumer dedupe on)', 'feature.dedupe.on', 'drain.redstream.defaults', 0.8);
  ratio(`keyed drain vs unkeyed drain, concurrency ${C()}`, 'feature.dedupe.tuned', 'drain.redstream', 0.8);
  ratio('keyed entries, `dedupe: false`, vs unkeyed drain, default options (the entry shape alone, for information)', 'feature.dedupe.off', 'drain.redstream.defaults', undefined);
  ratio('keyed drain, `prefetch: 1024`, vs unkeyed drain, default options (for information)', 'feature.dedupe.prefetch', 'drain.redstream.defaults', undefined);
  for (const [id, what] of [['latency.redstream.defaults', 'default options'], ['latency.redstream', `concurrency ${C()}`]]) {
    const latency = value(id);
    if (latency) list.push({ target: `p99 latency at 2,000 msg/s, ${what} (ms)`, persistence: 'none', measured: latency.p99, goal: '< 5', met: latency.p99 < 5 });
  }
  const memory = results.memory;
  if (memory) {
    const finalRedis = memory.settled.redisUsedMiB;
    list.push({ target: `Redis used_memory after ${settings.memoryN.toLocaleString('en-US')} messages (MiB)`, persistence: 'none', measured: round(finalRedis, 1), goal: '< 50', met: finalRedis < 50 });
    const early = memory.samples[Math.min(3, memory.samples.length - 1)]?.workerRssMiB;
    const growth = round(memory.settled.workerRssMiB / early, 2);
    list.push({ target: `worker RSS growth from ${memory.samples[Math.min(3, memory.samples.length - 1)]?.handled.toLocaleString('en-US')} to ${settings.memoryN.toLocaleString('en-US')} messages (x)`, persistence: 'none', measured: growth, goal: '≤ 1.10 (flat)', met: growth <= 1.1 });
  }
  return list;
}

function render() {
  const m = results.machine;
  const lines = [];
  lines.push(`Machine: ${m.cpuModel}, ${m.cores} cores (shared by producers, workers and redis-server), ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; Redis ${m.redis}; ${m.date}.`);
  lines.push(`Load average at start ${m.loadAverageAtStart.join(' / ')}, at end ${m.loadAverageAtEnd.join(' / ')}.`);
  lines.push(`Settings: N = ${n.toLocaleString('en-US')} small JSON messages per figure, median of ${settings.runs} interleaved run(s); "spread" = (max − min) / median of the runs.`);
  const tuning = (what, rates) => `${what} ${Object.keys(rates).join('/')}: ${Object.values(rates).map(fmt).join(' / ')} msg/s`;
  const tunings = [];
  if (Object.keys(results.bullmqTuning).length > 0) tunings.push(tuning(`${bullmq5} concurrency`, results.bullmqTuning));
  const knobs = { bullmq6: () => `BullMQ ${bullmq6Version()} concurrency`, nestRmq: () => 'Nest RMQ prefetchCount', jetstream: () => 'JetStream max_messages' };
  for (const [id, tuned] of Object.entries(results.anchors)) tunings.push(tuning(knobs[id](), tuned.rates));
  if (tunings.length > 0) lines.push(`Tuning (a drain of ${Math.min(n, 50_000).toLocaleString('en-US')}, no persistence, at the start): ${tunings.join('; ')}.`);
  lines.push('');
  const sections = [
    ['publish', 'Publish rate (msg/s)'],
    ['drain', `End-to-end, draining ${n.toLocaleString('en-US')} pre-filled no-op messages (msg/s)`],
    ['live', `End-to-end with a producer publishing ${n.toLocaleString('en-US')} at the same time (msg/s, first publish → last handled)`],
    ['feature', 'Cost of features (redstream drain, msg/s)'],
  ];
  for (const [section, title] of sections) {
    const entries = Object.values(results.figures).filter((e) => e.section === section && e.persistence === 'none');
    if (entries.length === 0) continue;
    lines.push(`| ${title} | no persistence | spread | AOF everysec |`, '|---|---:|---:|---:|');
    for (const e of entries) {
      const aof = results.figures[`${e.id}@aof`];
      lines.push(`| ${e.label} | ${fmt(e.median)} | ${pct(e.spread)} | ${aof ? fmt(aof.median) : '–'} |`);
    }
    lines.push('');
  }
  const latency = Object.values(results.figures).filter((e) => e.section === 'latency');
  if (latency.length > 0) {
    lines.push(
      `| Publish → handler latency at ${settings.latencyRate.toLocaleString('en-US')} msg/s for ${settings.latencySeconds} s after ${settings.latencyWarmupSeconds} s of warm-up (ms) | p50 | p99 | max | p99 with the warm-up |`,
      '|---|---:|---:|---:|---:|',
    );
    for (const e of latency) lines.push(`| ${e.label} | ${e.median.p50.toFixed(2)} | ${e.median.p99.toFixed(2)} | ${e.median.max.toFixed(1)} | ${e.median.p99WithWarmup.toFixed(2)} |`);
    lines.push('');
  }
  if (results.memory) {
    const { samples, atEnd, settled } = results.memory;
    lines.push(`| Memory: ${settings.memoryN.toLocaleString('en-US')} messages at ${settings.memoryRate.toLocaleString('en-US')}/s, default retention | Redis used_memory (MiB) | worker RSS (MiB) | stream length |`, '|---|---:|---:|---:|');
    for (const s of samples.filter((_, i) => i % 4 === 3 || i === 0)) lines.push(`| after ${s.handled.toLocaleString('en-US')} | ${s.redisUsedMiB.toFixed(1)} | ${s.workerRssMiB.toFixed(0)} | |`);
    lines.push(`| at the end | ${atEnd.redisUsedMiB.toFixed(1)} | | ${atEnd.streamLength.toLocaleString('en-US')} |`);
    lines.push(`| one retention interval later | ${settled.redisUsedMiB.toFixed(1)} | ${settled.workerRssMiB.toFixed(0)} | ${settled.streamLength.toLocaleString('en-US')} |`);
    lines.push('');
  }
  lines.push('| Target | persistence | measured | goal | met |', '|---|---|---:|---:|:---:|');
  for (const t of results.targets) lines.push(`| ${t.target} | ${t.persistence} | ${t.measured} | ${t.goal} | ${t.met === undefined ? '–' : t.met ? 'yes' : 'NO'} |`);
  if (results.notes.length > 0) lines.push('', ...results.notes.map((note) => `Note: ${note}.`));
  return lines.join('\n');
}

function describe(v, unit) {
  if (unit !== 'ms') return `${fmt(v)} msg/s`;
  return `p50 ${v.p50.toFixed(2)} ms, p99 ${v.p99.toFixed(2)} ms, max ${v.max.toFixed(1)} ms (with the warm-up: p99 ${v.withWarmup?.p99.toFixed(2)} ms)`;
}
const fmt = (v) => Math.round(v).toLocaleString('en-US');
const pct = (v) => `${Math.round(v * 100)}%`;
const round = (v, digits) => Number(v.toFixed(digits));
function log(message) {
  console.error(message);
}

await main();
