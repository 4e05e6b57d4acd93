/** What the figures were measured on, written next to them in results.json. */
import { cpus, loadavg, release, totalmem, type } from 'node:os';

export function machineDetails(redisVersion) {
  const cores = cpus();
  return {
    cpuModel: cores[0]?.model.trim(),
    cores: cores.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    redis: redisVersion,
    date: new Date().toISOString(),
    loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
}
