/**
 * What the anchors (bench/anchors/*.mjs: BullMQ 6, NestJS's RabbitMQ transport, NATS
 * JetStream) share: their bench-only package, installed with `npm ci` on first use (its own
 * package.json and lock, outside the root workspace, so BullMQ 6's optional peer
 * `redis >= 5` never meets the root's node-redis v4), a reachability probe for the shared
 * brokers, and the best-of-candidates tuning every anchor's knob goes through.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const anchorsDir = fileURLToPath(new URL('../anchors/', import.meta.url));

/** Installs bench/anchors/node_modules when missing or older than its lock; returns undefined, or why it could not. */
export function ensureAnchorsInstalled(log) {
  const installed = `${anchorsDir}node_modules/.package-lock.json`;
  const lock = `${anchorsDir}package-lock.json`;
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return undefined;
  log('installing the anchors\' bench-only packages (bench/anchors, npm ci)');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: anchorsDir, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status === 0) return undefined;
  return `npm ci in bench/anchors failed (${result.error?.message ?? `exit code ${result.status}`})`;
}

/** The absolute path of an anchor's role file (bench/anchors/roles/<name>.mjs). */
export const anchorRole = (name) => `${anchorsDir}roles/${name}.mjs`;

/** Resolves when a TCP connection to host:port opens; rejects with the socket's error (ECONNREFUSED, timeout). */
export function probe(host, port, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      socket.end();
      resolve();
    });
    socket.once('error', reject);
  });
}

/** Names of a measurement's queue or stream on a shared broker: unique to this bench process. */
export function brokerName(id) {
  return `redstream-bench-${process.pid}-${id.replaceAll('.', '-')}`;
}

/** Measures each candidate value of a knob once and returns the best, with every rate (a failed one counts as none). */
export async function bestOf(candidates, measure, describe, log) {
  const rates = {};
  let best = { value: candidates[0], rate: 0 };
  for (const value of candidates) {
    const rate = await measure(value).catch((error) => {
      log(`  ${describe(value)} failed: ${error.message}`);
      return NaN;
    });
    rates[value] = Math.round(rate);
    log(`  ${describe(value)}: ${Number.isFinite(rate) ? Math.round(rate).toLocaleString('en-US') : 'failed'} msg/s`);
    if (rate > best.rate) best = { value, rate };
  }
  return { best: best.value, rates };
}
