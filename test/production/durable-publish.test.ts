/**
 * waitForReplicas: a publish resolves only once that many replicas have the entry (WAIT
 * after the write); with fewer it rejects with ReplicationError, which says that the entry
 * is on the primary.
 */
import { ReplicationError, StreamProducer } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { commandCalls } from '../support/command-stats.js';
import { usePrivateRedis, useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

describe('durable publish (waitForReplicas)', () => {
  const env = usePrivateRedis();

  it('without a replica, the publish rejects saying the entry was written on the primary', async () => {
    const stream = 'durable.none';
    const producer = await StreamProducer.connect({ url: env.redis.url, tracing: false, waitForReplicas: { replicas: 1, timeoutMs: 100 } });
    try {
      const error = (await producer.publish(stream, { n: 1 }).catch((e: unknown) => e)) as ReplicationError;
      expect(error).toBeInstanceOf(ReplicationError);
      expect(error.message).toMatch(/was written on the primary, but only 0 of 1 replica\(s\) acknowledged it within 100 ms/);
      const entries = (await env.client.sendCommand(['XRANGE', `rs:{${stream}}`, '-', '+'])) as [string, string[]][];
      expect(entries.map(([id]) => id)).toEqual([error.entryId]);
      // Per message, `false` turns the default off.
      await expect(producer.publish(stream, { n: 2 }, { waitForReplicas: false })).resolves.toMatchObject({ added: true });
    } finally {
      await producer.close();
    }
  });

  describe('with a replica (replicaof)', () => {
    let replica: RedisServer;
    const servers = useRedisServers('file');
    beforeAll(async () => {
      replica = await servers.start({ extraArgs: ['--replicaof', '127.0.0.1', String(env.redis.port)] });
      const client = await replica.client();
      try {
        await waitFor(async () => String(await client.sendCommand(['INFO', 'replication'])).includes('master_link_status:up'), {
          timeoutMs: 15_000,
          what: 'replica in sync',
        });
      } finally {
        await client.quit();
      }
    });

    it('publishes resolve once the replica has the entries; a burst shares its WAITs', async () => {
      const stream = 'durable.one';
      const producer = await StreamProducer.connect({ url: env.redis.url, tracing: false, waitForReplicas: { replicas: 1, timeoutMs: 5_000 } });
      const replicaClient = await replica.client();
      try {
        await env.client.sendCommand(['CONFIG', 'RESETSTAT']);
        const results = await Promise.all([
          ...Array.from({ length: 300 }, (_, n) => producer.publish(stream, { n })),
          producer.publish(stream, { keyed: true }, { idempotencyKey: 'k1' }),
          producer.publish(stream, { delayed: true }, { delayMs: 60_000 }),
        ]);
        expect(results).toHaveLength(302);
        // Resolved means replicated: the replica already holds every entry.
        expect(await replicaClient.sendCommand(['XLEN', `rs:{${stream}}`])).toBe(301);
        expect(await replicaClient.sendCommand(['ZCARD', `rs:{${stream}}:delayed`])).toBe(1);
        const waits = await commandCalls(env.client, 'wait');
        expect(waits).toBeGreaterThanOrEqual(1);
        expect(waits).toBeLessThan(302);
      } finally {
        await replicaClient.quit();
        await producer.close();
      }
    });

    it('per record through the Nest client: more replicas than exist rejects, one succeeds', async () => {
      const client = new RedisStreamsClient({ url: env.redis.url, tracing: false });
      await client.connect();
      try {
        const two = new RedisStreamRecordBuilder({ n: 1 }).setWaitForReplicas({ replicas: 2, timeoutMs: 200 }).build();
        await expect(lastValueFrom(client.emit('durable.nest', two))).rejects.toThrow(/only 1 of 2 replica\(s\) acknowledged/);
        const one = new RedisStreamRecordBuilder({ n: 2 }).setWaitForReplicas({ replicas: 1, timeoutMs: 5_000 }).build();
        await expect(lastValueFrom(client.emit('durable.nest', one))).resolves.toMatch(/^\d+-\d+$/);
      } finally {
        await client.close();
      }
    });
  });

  it('rejects a bad waitForReplicas at construction, naming it', async () => {
    await expect(StreamProducer.connect({ url: env.redis.url, waitForReplicas: { replicas: 1, timeoutMs: 0 } })).rejects.toThrow(/waitForReplicas\.timeoutMs/);
    expect(() => new RedisStreamRecordBuilder(1).setWaitForReplicas({ replicas: 0, timeoutMs: 10 })).toThrow(/setWaitForReplicas\.replicas/);
  });
});
