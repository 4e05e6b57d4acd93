/**
 * `@EventPattern(pattern, { ordered: true })` through the Nest transport: a slow message holds
 * back the next one of its key, not a message of another key.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, Payload } from '@nestjs/microservices';
import { RedisStreamRecordBuilder, RedisStreamsClient, RedisStreamsServer } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('Nest transport, ordered: true', () => {
  const closing: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  const env = usePrivateRedis();

  it('runs a key\'s messages one after another and other keys meanwhile', async () => {
    const stream = 'nest.ordered';
    const events: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));

    @Controller()
    class Handlers {
      @EventPattern(stream, { ordered: true })
      async handle(@Payload() data: { k: string; n: number }): Promise<void> {
        events.push(`start ${data.k}${data.n}`);
        if (data.k === 'a' && data.n === 1) await firstHeld;
        events.push(`end ${data.k}${data.n}`);
      }
    }
    @Module({ controllers: [Handlers] })
    class WorkerModule {}

    const server = new RedisStreamsServer({ url: env.redis.url, group: 'g', logger: quietLogger, partitions: { [stream]: 2 } });
    const app = await NestFactory.createMicroservice(WorkerModule, { strategy: server, logger: false });
    await app.listen();
    closing.push(() => app.close());
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, partitions: { [stream]: 2 } });
    closing.push(() => client.close());
    await client.connect();
    for (const [k, n] of [['a', 1], ['a', 2], ['b', 1]] as const) {
      await lastValueFrom(client.emit(stream, new RedisStreamRecordBuilder({ k, n }).setPartitionKey(k).build()));
    }

    await waitFor(() => events.includes('end b1'), { what: 'b1 handled while a1 runs' });
    expect(events).not.toContain('start a2');
    releaseFirst();
    await waitFor(() => events.includes('end a2'), { what: 'a2 handled' });
    expect(events.indexOf('start a2')).toBeGreaterThan(events.indexOf('end a1'));
  });
});
