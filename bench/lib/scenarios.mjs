/**
 * One measurement each: start the worker and/or producer processes of a scenario on the
 * private Redis, run them, return the figure. Every scenario uses its own stream/queue name.
 */
import { KeyBuilder } from '@redstream/core';
import { RoleProcess } from './role-process.mjs';

const keys = new KeyBuilder('rs');

async function startRole(name, config) {
  const role = new RoleProcess(name, config);
  await role.next('ready', 60_000);
  return role;
}

async function stopAll(...roles) {
  await Promise.all(roles.filter(Boolean).map((role) => role.stop()));
}

function names(id) {
  const stream = id;
  return { stream, streamKey: keys.forStream(stream).stream, queue: id.replaceAll('.', '-') };
}

/** Publishes `count` messages and returns the rate (msg/s) the producer achieved. */
export async function publishRate(redis, id, mode, count, extra = {}) {
  const { role = 'publisher', ...rest } = extra;
  const publisher = await startRole(role, { ...names(id), url: redis.url, port: redis.port, mode, count, run: id, ...rest });
  try {
    publisher.send({ type: 'go' });
    const { rate, cpuUsPerMessage } = await publisher.next('published');
    if (process.env.BENCH_VERBOSE) console.error(`  ${id}: producer CPU ${cpuUsPerMessage.toFixed(2)} µs/message`);
    return rate;
  } finally {
    await stopAll(publisher);
  }
}

/**
 * Fills a stream (StreamProducer), a BullMQ queue (addBulk) or, for a worker that names its
 * own `prefill` publisher (the anchors' brokers), its queue before the worker starts.
 */
async function prefill(redis, id, worker, count, keyed, prioritized) {
  if (worker.prefill) return publishRate(redis, id, worker.prefill.mode, count, { role: worker.prefill.role, ...worker.config });
  const mode = worker.system === 'bullmq' ? 'bullmq-addBulk' : 'core-burst';
  return publishRate(redis, id, mode, count, { keyed, prioritized, bullmqModule: worker.config.bullmqModule });
}

const workerRoles = {
  redstream: 'worker-redstream',
  core: 'worker-core',
  bullmq: 'worker-bullmq',
  raw: 'worker-raw',
  'raw-ioredis': 'worker-raw-ioredis',
  'nest-redis': 'worker-nest-redis',
};

/** A worker's role: one of bench/roles/ by its system, or the file an anchor names. */
const workerRole = (worker) => worker.role ?? workerRoles[worker.system];

/** A live scenario's producer: a mode of bench/roles/publisher.mjs, or `{ role, mode }` of an anchor. */
const publisherOf = (spec) => (typeof spec === 'string' ? { role: 'publisher', mode: spec } : spec);

function workerConfig(redis, id, n, worker) {
  return { ...names(id), url: redis.url, port: redis.port, n, ...worker.config };
}

/** A worker drains `n` messages already in the stream/queue (`prioritized`: spread over the three priority levels); returns msg/s. */
export async function drainThroughput(redis, id, n, worker, { keyed = false, prioritized = false } = {}) {
  const role = await startRole(workerRole(worker), workerConfig(redis, id, n, worker));
  try {
    await prefill(redis, id, worker, n, keyed, prioritized);
    const redisCpuBefore = process.env.BENCH_VERBOSE ? await redis.cpuSeconds() : 0;
    if (process.env.BENCH_COMMANDSTATS) await redis.admin.configResetStat();
    role.send({ type: 'go' });
    const started = await role.next('started');
    const done = await role.next('done');
    if (process.env.BENCH_VERBOSE) {
      const redisUs = ((await redis.cpuSeconds()) - redisCpuBefore) * 1e6 / n;
      console.error(`  ${id}: worker CPU ${done.cpuUsPerMessage.toFixed(2)} µs/message, busy ${((done.cpuUsPerMessage * n) / 10 / (done.lastAt - started.at)).toFixed(0)}% of one core; redis-server ${redisUs.toFixed(2)} µs/message`);
    }
    // BENCH_COMMANDSTATS=1: where redis-server's time went during the drain (INFO commandstats), per message.
    if (process.env.BENCH_COMMANDSTATS) {
      for (const [, name, calls, usec] of (await redis.admin.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) {
        console.error(`    ${name.padEnd(16)} ${calls.padStart(8)} calls  ${(Number(usec) / n).toFixed(2)} µs/message`);
      }
    }
    return (n * 1000) / (done.lastAt - started.at);
  } finally {
    await stopAll(role);
  }
}

/**
 * A worker consumes while a producer publishes `n` messages as fast as it can (bursts);
 * returns msg/s from the first publish to the last handled message.
 */
export async function liveThroughput(redis, id, n, worker, publisherMode, { rate, progress } = {}) {
  const role = await startRole(workerRole(worker), workerConfig(redis, id, n, worker));
  const { role: publisherRole, mode } = publisherOf(publisherMode);
  let publisher;
  try {
    role.send({ type: 'go' });
    await role.next('started');
    publisher = await startRole(publisherRole, { ...workerConfig(redis, id, n, worker), mode, count: n, rate, run: id });
    publisher.send({ type: 'go' });
    const published = await publisher.next('published', 1_800_000);
    const done = await waitDone(role, progress);
    return { rate: (n * 1000) / (done.lastAt - published.startedAt), latency: done.latency, publishedRate: published.rate };
  } finally {
    await stopAll(role, publisher);
  }
}

/** Waits for "done", handing each progress report to `progress` as it comes. */
async function waitDone(role, progress) {
  if (!progress) return role.next('done', 1_800_000);
  const done = role.next('done', 1_800_000);
  let finished = false;
  void done.then(() => (finished = true), () => (finished = true));
  while (!finished) {
    for (const report of role.take('progress')) await progress(report);
    await Promise.race([done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 100))]);
  }
  for (const report of role.take('progress')) await progress(report);
  return done;
}

/**
 * Publish-to-handler latency at a fixed offered rate, over `seconds` after `warmupSeconds`
 * at the same rate (a freshly started worker compiles its hot path during the first second
 * or so); returns { p50, p99, max, withWarmup: { p50, p99, max } } in ms.
 */
export async function latencyAtRate(redis, id, worker, publisherMode, rate, seconds, warmupSeconds) {
  const warmup = rate * warmupSeconds;
  const n = warmup + rate * seconds;
  const { latency } = await liveThroughput(redis, id, n, { ...worker, config: { ...worker.config, latency: true, warmup } }, publisherMode, { rate });
  return latency;
}

const MiB = 2 ** 20;

/**
 * Memory over a long run: a worker with default retention handles `n` messages offered at
 * `rate`/s; Redis used_memory and the worker's RSS are sampled every `n / 20` messages,
 * at the end, and once more after one retention interval (`settleMs`) has passed.
 */
export async function memoryOverRun(redis, id, n, worker, publisherMode, { rate, settleMs }) {
  const progressEvery = Math.max(1, Math.floor(n / 20));
  const role = await startRole(workerRole(worker), { ...workerConfig(redis, id, n, worker), progressEvery });
  let publisher;
  const samples = [];
  try {
    role.send({ type: 'go' });
    await role.next('started');
    publisher = await startRole('publisher', { ...names(id), url: redis.url, port: redis.port, mode: publisherMode, count: n, rate, run: id });
    publisher.send({ type: 'go' });
    await waitDone(role, async (report) => {
      samples.push({ handled: report.count, redisUsedMiB: (await redis.usedMemory()) / MiB, workerRssMiB: report.rss / MiB, workerHeapMiB: report.heapUsed / MiB });
    });
    const streamKey = names(id).streamKey;
    const atEnd = { redisUsedMiB: (await redis.usedMemory()) / MiB, streamLength: await redis.admin.xLen(streamKey) };
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    role.send({ type: 'memory' });
    const { rss, heapUsed } = await role.next('memory');
    const settled = {
      redisUsedMiB: (await redis.usedMemory()) / MiB,
      streamLength: await redis.admin.xLen(streamKey),
      workerRssMiB: rss / MiB,
      workerHeapMiB: heapUsed / MiB,
    };
    return { samples, atEnd, settled };
  } finally {
    await stopAll(role, publisher);
  }
}
