/**
 * `npm run bench:events`: drain rate of a StreamConsumer (no-op handler) over a pre-filled
 * stream, with lifecycle events off and on (`events: true`: an XADD to rs:{s}:events when each
 * handler starts and when it completes), interleaved, medians of RUNS. Prints a table and
 * writes bench/lifecycle-events.json. Nothing here is asserted.
 */
import { writeFileSync } from 'node:fs';
import { StreamConsumer } from '@redstream/core';
import { BenchRedis } from './lib/redis-server.mjs';
import { median } from './lib/stats.mjs';

const ENTRIES = Number(process.env.ENTRIES ?? 100_000);
const RUNS = Number(process.env.RUNS ?? 3);
const BATCH = 10_000;
const quiet = { log() {}, warn() {}, error() {} };

const redis = await BenchRedis.start('none');
const results = { off: [], on: [] };
try {
  for (let run = 0; run < RUNS; run++) {
    for (const mode of ['off', 'on']) {
      await redis.flush();
      const stream = `bench.events.${mode}.${run}`;
      const key = `rs:{${stream}}`;
      for (let done = 0; done < ENTRIES; done += BATCH) {
        const batch = [];
        for (let i = done; i < Math.min(ENTRIES, done + BATCH); i++) batch.push(redis.admin.sendCommand(['XADD', key, '*', 'data', `{"n":${i}}`, 'id', `m-${i}`, 'ts', '0']));
        await Promise.all(batch);
      }
      let handled = 0;
      let finished;
      const drained = new Promise((resolve) => (finished = resolve));
      const consumer = new StreamConsumer({
        url: redis.url, group: 'g', consumer: 'bench', concurrency: 256, logger: quiet, tracing: false, retention: false,
        events: mode === 'on',
      }).subscribe(stream, () => {
        handled += 1;
        if (handled === ENTRIES) finished();
      });
      const started = process.hrtime.bigint();
      await consumer.start();
      await drained;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await consumer.stop();
      const events = mode === 'on' ? Number(await redis.admin.sendCommand(['XLEN', `${key}:events`])) : 0;
      results[mode].push({ rate: ENTRIES / seconds, events });
      console.log(`run ${run + 1} events ${mode}: ${Math.round(ENTRIES / seconds)} msg/s`);
    }
  }
} finally {
  await redis.stop();
}
const off = median(results.off.map((r) => r.rate));
const on = median(results.on.map((r) => r.rate));
console.log(`\ndrain of ${ENTRIES} entries, medians of ${RUNS}`);
console.log(`events off  ${Math.round(off)} msg/s`);
console.log(`events on   ${Math.round(on)} msg/s  (${(on / off).toFixed(2)} of off)`);
writeFileSync(new URL('./lifecycle-events.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), entries: ENTRIES, runs: RUNS, off, on, results }, null, 2)}\n`);
