/**
 * Counts what a worker handled: reports "done" with first/last handling time when the
 * expected count is reached, optional publish-to-handler latencies, and periodic
 * progress with the worker's RSS (for the memory run). Latency is summarised over the
 * messages published after the first `warmup` ones, and over all of them.
 */
import { now } from './clock.mjs';
import { send } from './role.mjs';
import { latencySummary } from './stats.mjs';

export function createRecorder({ n, latency = false, warmup = 0, progressEvery = 0 }) {
  let count = 0;
  let firstAt = 0;
  let cpuAtFirst;
  const samples = latency ? new Float64Array(n) : undefined;
  return {
    record(data) {
      const t = now();
      if (count === 0) {
        firstAt = t;
        cpuAtFirst = process.cpuUsage();
      }
      if (samples !== undefined && data.i < n) samples[data.i] = t - data.t;
      count += 1;
      if (progressEvery > 0 && count % progressEvery === 0) {
        const { rss, heapUsed } = process.memoryUsage();
        send({ type: 'progress', count, rss, heapUsed, at: t });
      }
      if (count === n) {
        const cpu = process.cpuUsage(cpuAtFirst);
        const cpuUsPerMessage = (cpu.user + cpu.system) / count;
        send({ type: 'done', count, firstAt, lastAt: t, cpuUsPerMessage, latency: samples ? latencySummaries(samples, warmup) : undefined });
      }
    },
    get count() {
      return count;
    },
  };
}

function latencySummaries(samples, warmup) {
  return { ...latencySummary(samples.subarray(Math.min(warmup, samples.length - 1))), withWarmup: latencySummary(samples) };
}
