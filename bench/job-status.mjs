/**
 * `npm run bench:status`: getJobStatus latency on a stream of 1,000,000 entries, against
 * the same call on a stream of 1,000, for entries in each state (completed near the head,
 * pending in the middle, waiting at the tail). If getJobStatus scanned the stream its
 * latency would grow with the length; it is a handful of O(log n) commands, so it must not.
 * Prints a table and writes bench/job-status.json. Nothing here is asserted.
 */
import { writeFileSync } from 'node:fs';
import { getJobStatus, KeyBuilder, RedisConnection } from '@redstream/core';
import { BenchRedis } from './lib/redis-server.mjs';
import { latencySummary } from './lib/stats.mjs';

const LENGTHS = [1_000, 1_000_000];
const SAMPLES = 2_000;
const FILL_BATCH = 10_000;

const redis = await BenchRedis.start('none');
const connection = await RedisConnection.open({ url: redis.url }, 'bench-status');
const keys = new KeyBuilder();
const rows = [];
try {
  for (const length of LENGTHS) {
    const stream = `bench.status.${length}`;
    const key = keys.stream(stream);
    const ids = await fill(key, length);
    await connection.send(['XGROUP', 'CREATE', key, 'g', '0']);
    // The first 40% read and acked (completed), the next 10% read and left pending (active), the rest waiting.
    const completed = Math.floor(length * 0.4);
    const pending = Math.floor(length * 0.1);
    await readGroup(key, completed, true);
    await readGroup(key, pending, false);
    const probes = { completed: ids[Math.floor(completed / 2)], active: ids[completed + Math.floor(pending / 2)], waiting: ids[length - 1] };
    for (const [expected, id] of Object.entries(probes)) {
      const [{ state }] = (await getJobStatus(connection, keys, stream, id)).groups;
      if (state !== expected) throw new Error(`probe ${id} is ${state}, expected ${expected}`);
      const samples = [];
      for (let i = 0; i < SAMPLES; i++) {
        const started = process.hrtime.bigint();
        await getJobStatus(connection, keys, stream, id);
        samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      const summary = latencySummary(samples);
      rows.push({ length, state: expected, ...summary });
    }
    await connection.send(['DEL', key]);
  }
} finally {
  await connection.close();
  await redis.stop();
}

console.log('getJobStatus latency (one group, sequential calls, ms)');
console.log('entries     state      p50     p99     max');
for (const r of rows) {
  console.log(`${String(r.length).padEnd(11)} ${r.state.padEnd(10)} ${r.p50.toFixed(3).padStart(6)}  ${r.p99.toFixed(3).padStart(6)}  ${r.max.toFixed(3).padStart(6)}`);
}
writeFileSync(new URL('./job-status.json', import.meta.url), `${JSON.stringify({ at: new Date().toISOString(), samples: SAMPLES, rows }, null, 2)}\n`);

async function fill(key, length) {
  const ids = [];
  for (let done = 0; done < length; done += FILL_BATCH) {
    const batch = [];
    for (let i = done; i < Math.min(length, done + FILL_BATCH); i++) batch.push(connection.send(['XADD', key, '*', 'data', `{"n":${i}}`, 'id', `m-${i}`, 'ts', '0']));
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

async function readGroup(key, count, ack) {
  for (let left = count; left > 0; ) {
    const reply = await connection.send(['XREADGROUP', 'GROUP', 'g', 'bench', 'COUNT', Math.min(left, FILL_BATCH), 'STREAMS', key, '>']);
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    left -= entries.length;
    if (ack) await connection.send(['XACK', key, 'g', ...entries.map(([id]) => id)]);
  }
}
