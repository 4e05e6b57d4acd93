/**
 * A Redis that evicts (maxmemory-policy other than noeviction) or does not persist loses
 * messages silently. Workers, producers and the CLI say so loudly at start, the metrics
 * expose it, and `requireNoEviction: true` refuses such a server. CONFIG refused by ACL
 * falls back to INFO; the check never stops anything by itself.
 */
import { StreamConsumer, StreamProducer, UnsafeRedisError } from '@redstream/core';
import { RedstreamMetrics } from '@redstream/core/metrics';
import { Registry } from 'prom-client';
import { runCli } from '../support/cli.js';
import { usePrivateRedis, useRedisServers } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';

describe('eviction policy and persistence checks at start', () => {
  const servers = useRedisServers();
  const env = usePrivateRedis({ extraArgs: ['--maxmemory-policy', 'allkeys-lru'] });
  const warnings = (lines: string[]) => lines.filter((line) => line.startsWith('warn WARNING'));

  it('a worker logs one loud warning naming allkeys-lru and what it evicts, one for persistence off, and exposes both as gauges', async () => {
    const logger = collectingLogger();
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', logger }).subscribe('safety.worker', () => undefined);
    const registry = new Registry();
    new RedstreamMetrics({ registry }).observe(consumer);
    await consumer.start();
    try {
      const [eviction, persistence, ...rest] = warnings(logger.lines);
      expect(eviction).toMatch(/maxmemory-policy is "allkeys-lru", not "noeviction".*evicts any key: whole streams with their consumer groups and pending entries/);
      expect(persistence).toMatch(/persistence is off \(appendonly no, no RDB save points\)/);
      expect(rest).toEqual([]);
      const exposition = await registry.metrics();
      expect(exposition).toMatch(/^redstream_redis_eviction_unsafe\{policy="allkeys-lru"\} 1$/m);
      expect(exposition).toMatch(/^redstream_redis_persistence_off 1$/m);
    } finally {
      await consumer.stop();
    }
  });

  it('requireNoEviction: true refuses to start, on workers and producers, and creates nothing', async () => {
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', requireNoEviction: true, logger: collectingLogger() }).subscribe('safety.refused', () => undefined);
    await expect(consumer.start()).rejects.toThrow(UnsafeRedisError);
    await expect(consumer.start()).rejects.toThrow(/maxmemory-policy is "allkeys-lru".*Refusing to start because requireNoEviction is true/);
    expect(await env.client.sendCommand(['EXISTS', 'rs:{safety.refused}'])).toBe(0);
    await expect(StreamProducer.connect({ url: env.redis.url, requireNoEviction: true, logger: collectingLogger() })).rejects.toThrow(UnsafeRedisError);
  });

  it('volatile-* policies are named for what they evict: the TTL\'d dedupe, replay and reply keys', async () => {
    await env.client.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru']);
    try {
      const logger = collectingLogger();
      const producer = await StreamProducer.connect({ url: env.redis.url, logger });
      await producer.close();
      expect(warnings(logger.lines)[0]).toMatch(/"volatile-lru".*evicts the keys that have a TTL: consumer and producer dedupe marks.*replay marks and request-response reply streams/);
    } finally {
      await env.client.sendCommand(['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    }
  });

  it('a user without CONFIG still gets the eviction warning (from INFO), and starts', async () => {
    await env.client.sendCommand(['ACL', 'SETUSER', 'noconfig', 'on', '>pw', '~*', '&*', '+@all', '-config']);
    const logger = collectingLogger();
    const consumer = new StreamConsumer({ url: env.redis.url.replace('redis://', 'redis://noconfig:pw@'), group: 'g', logger }).subscribe('safety.info', () => undefined);
    await consumer.start();
    await consumer.stop();
    const [eviction, persistence] = warnings(logger.lines);
    expect(eviction).toMatch(/"allkeys-lru"/);
    expect(persistence).toMatch(/AOF off \(appendonly no\) and its RDB save points could not be read/);
  });

  it('a user without CONFIG or INFO starts all the same, told that the policy could not be read', async () => {
    await env.client.sendCommand(['ACL', 'SETUSER', 'blind', 'on', '>pw', '~*', '&*', '+@all', '-config', '-info']);
    const logger = collectingLogger();
    const consumer = new StreamConsumer({ url: env.redis.url.replace('redis://', 'redis://blind:pw@'), group: 'g', logger, requireNoEviction: true }).subscribe('safety.blind', () => undefined);
    await consumer.start();
    await consumer.stop();
    expect(warnings(logger.lines)).toEqual([expect.stringMatching(/could not read the Redis maxmemory-policy \(INFO and CONFIG GET refused\)/)]);
  });

  it('the CLI `streams` prints the warning on stderr and still succeeds', async () => {
    const result = await runCli(['--url', env.redis.url, 'streams', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(expect.any(Array));
    expect(result.stderr).toMatch(/redstream: WARNING: Redis maxmemory-policy is "allkeys-lru"/);
  });

  it('noeviction with AOF: no warning', async () => {
    const safe = await servers.start({ aof: true });
    const logger = collectingLogger();
    const consumer = new StreamConsumer({ url: safe.url, group: 'g', logger, requireNoEviction: true }).subscribe('safety.ok', () => undefined);
    await consumer.start();
    await consumer.stop();
    expect(warnings(logger.lines)).toEqual([]);
  });
});
