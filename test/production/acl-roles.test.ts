/**
 * Workers, producers, requesters and the CLI run as the README's least-privilege ACL users
 * and nothing more: everything they do succeeds, and ACL LOG records no refusal; a
 * producer-only user cannot consume, and the read-only operator cannot change anything.
 */
import 'reflect-metadata';
import { ReplicationError, StreamConsumer, StreamProducer, UnrecoverableError } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { startWorker } from '../nestjs/worker-app.js';
import { ACL_ROLES, aclRefusals, ORDERED_WORKER_ADDITIONS, PARTITIONED_PRODUCER_ADDITIONS, setAclUser, type AclRole } from '../support/acl-roles.js';
import { runCli } from '../support/cli.js';
import { commandStats } from '../support/command-stats.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('least-privilege ACL users', () => {
  const env = usePrivateRedis();
  const urlFor = (role: AclRole) => env.redis.url.replace('redis://', `redis://${role}:${role}-secret@`);
  const refusals = () => aclRefusals(env.client);

  beforeAll(async () => {
    for (const [role, rules] of Object.entries(ACL_ROLES)) {
      await setAclUser(env.client, role, rules);
    }
    await setAclUser(env.client, 'ordered', `${ACL_ROLES.worker} ${ORDERED_WORKER_ADDITIONS}`);
    await setAclUser(env.client, 'pproducer', `${ACL_ROLES.producer} ${PARTITIONED_PRODUCER_ADDITIONS}`);
    await env.client.sendCommand(['ACL', 'LOG', 'RESET']);
  });

  it('a worker, a producer and a requester do everything with their own rules, and nothing is refused', async () => {
    const stream = 'acl.orders';
    let failures = 0;
    const { app, received } = await startWorker(
      stream,
      {
        url: urlFor('worker'),
        group: 'billing',
        maxDeliveries: 2,
        backoff: { delayMs: 10, maxDelayMs: 10, jitter: false },
        claim: { minIdleMs: 200, intervalMs: 100, count: 100 },
        retention: { intervalMs: 100 },
        delayed: { intervalMs: 50, batchSize: 100 },
        idleConsumers: { removeAfterMs: 1, intervalMs: 100 },
      },
      {
        onEvent: (data) => {
          const { kind } = data as { kind: string };
          if (kind === 'retry-once' && failures++ === 0) throw new Error('transient');
          if (kind === 'poison') throw new UnrecoverableError('poison');
        },
      },
    );
    const producer = new RedisStreamsClient({ url: urlFor('producer'), logger: collectingLogger() });
    const requester = new RedisStreamsClient({ url: urlFor('requester'), logger: collectingLogger(), requestTimeoutMs: 5_000 });
    try {
      await lastValueFrom(producer.emit(stream, { kind: 'plain' }));
      await lastValueFrom(producer.emit(stream, new RedisStreamRecordBuilder({ kind: 'keyed' }).setIdempotencyKey('k1').build()));
      await lastValueFrom(producer.emit(stream, new RedisStreamRecordBuilder({ kind: 'delayed' }).setDelay(100).build()));
      await lastValueFrom(producer.emit(stream, { kind: 'retry-once' }));
      await lastValueFrom(producer.emit(stream, { kind: 'poison' }));
      // WAIT is allowed: with no replica it answers 0, and the publish says so.
      await expect(lastValueFrom(producer.emit(stream, new RedisStreamRecordBuilder({ kind: 'durable' }).setWaitForReplicas({ replicas: 1, timeoutMs: 20 }).build()))).rejects.toThrow(ReplicationError);
      await expect(lastValueFrom(requester.send(`${stream}.quote`, { sku: 'A-1' }))).resolves.toEqual({ sku: 'A-1', price: 42 });

      await waitFor(
        async () =>
          received.filter((r) => (r.data as { kind: string }).kind !== 'poison').length === 6 &&
          (await env.client.sendCommand(['XLEN', `rs:{${stream}}:dlq`])) === 1 &&
          ((await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'billing'])) as [number])[0] === 0,
        { timeoutMs: 15_000, what: 'every message handled or dead-lettered' },
      );
      // Retention (XTRIM inside trim-acked-1.lua) and the reclaimer (XAUTOCLAIM) ran as the worker too.
      await waitFor(
        async () => {
          const { calls } = await commandStats(env.client);
          return calls('xtrim') > 0 && calls('xautoclaim') > 0 && calls('xinfo|consumers') > 0;
        },
        { timeoutMs: 10_000, what: 'retention, reclaim and the idle-consumer reaper running as the worker' },
      );
    } finally {
      await requester.close();
      await producer.close();
      await app.close();
    }
    expect(await refusals()).toEqual([]);
  });

  it('an ordered worker and a producer of a partitioned stream, each with the README\'s additions, do their work and nothing is refused', async () => {
    const stream = 'acl.ordered';
    // The partition count is an operator's step (set-partitions-1.lua), done here as the default user.
    expect((await runCli(['--url', env.redis.url, 'partitions', stream, '3'])).code).toBe(0);
    const handled: string[] = [];
    const consumer = new StreamConsumer({ url: env.redis.url.replace('redis://', 'redis://ordered:ordered-secret@'), group: 'g', consumer: 'o1', logger: collectingLogger() })
      .subscribe(stream, (message) => void handled.push(`${(message.data as { k: string }).k}`), { ordered: true });
    const producer = await StreamProducer.connect({ url: env.redis.url.replace('redis://', 'redis://pproducer:pproducer-secret@'), logger: collectingLogger() });
    try {
      await consumer.start();
      await producer.publishMany(stream, Array.from({ length: 30 }, (_, i) => ({ data: { k: `k${i % 6}` }, options: { partitionKey: `k${i % 6}` } })));
      await waitFor(() => handled.length === 30, { timeoutMs: 15_000, what: 'every ordered message handled' });
      await waitFor(() => consumer.ownedPartitions.length === 3, { what: 'all three partitions owned' });
    } finally {
      await producer.close();
      await consumer.stop();
    }
    // Stopping released the leases (release-lease-1) as the same user.
    expect(await refusals()).toEqual([]);
  });

  it('a producer-only user cannot consume', async () => {
    const consumer = new StreamConsumer({ url: urlFor('producer'), group: 'thief', logger: collectingLogger() }).subscribe('acl.orders', () => undefined);
    await expect(consumer.start()).rejects.toThrow(/NOPERM/);
    await env.client.sendCommand(['ACL', 'LOG', 'RESET']);
  });

  it('the read-only operator runs the CLI\'s inspection commands, and cannot change anything', async () => {
    const stream = 'acl.orders';
    const dlq = (await env.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][];
    const url = urlFor('operator');
    for (const args of [
      ['streams'],
      ['pending', stream, '--show-data'],
      ['consumers', stream],
      ['dlq', 'list', stream],
      ['dlq', 'show', stream, dlq[0][0]],
      ['trim', stream, '--safe', '--dry-run'],
    ]) {
      const result = await runCli(['--url', url, ...args]);
      expect({ args, code: result.code, stderr: result.stderr.replace(/redstream: WARNING.*\n/g, '') }).toEqual({ args, code: 0, stderr: '' });
    }
    expect(await refusals()).toEqual([]);

    const purge = await runCli(['--url', url, 'dlq', 'purge', stream, '--all']);
    expect(purge.code).toBe(1);
    expect(purge.stderr).toMatch(/NOPERM|no permissions/);
    expect(await env.client.sendCommand(['XLEN', `rs:{${stream}}:dlq`])).toBe(1);
  });
});
