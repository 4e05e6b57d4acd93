/**
 * Child process of bench/partitions.mjs: one worker draining a pre-filled (partitioned)
 * stream with the BUILT @redstream/core and a no-op handler. It starts with its group
 * paused (the bench resumes every worker at once), prints `ready` once started, `h <count>`
 * every 20 ms while it handles, and on SIGTERM `cpu <ms>` (its CPU since start) before exiting.
 *
 * env: WHERE (JSON: { url } or { cluster }), STREAM, CONCURRENCY, HANDLER_OPTIONS (JSON)
 */
import { StreamConsumer } from '@redstream/core';

const where = JSON.parse(process.env.WHERE);
const quiet = { log: () => undefined, warn: () => undefined, error: (message) => process.stderr.write(`${message}\n`) };
const consumer = new StreamConsumer({ ...where, group: 'bench', consumer: `drain-${process.pid}`, concurrency: Number(process.env.CONCURRENCY), logger: quiet, retention: false });
let handled = 0;
consumer.subscribe(process.env.STREAM, () => void (handled += 1), JSON.parse(process.env.HANDLER_OPTIONS ?? '{}'));
const cpuBefore = process.cpuUsage();
await consumer.start();
process.stdout.write('ready\n');
let reported = 0;
setInterval(() => {
  if (handled !== reported) process.stdout.write(`h ${(reported = handled)}\n`);
}, 20);
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpuBefore);
  process.stdout.write(`h ${handled}\ncpu ${((cpu.user + cpu.system) / 1000).toFixed(1)}\n`, () => process.exit(0));
});
