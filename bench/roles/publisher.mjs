/**
 * A producer process. `mode` picks the client and how it publishes:
 *   redstream-awaited   RedisStreamsClient.emit, one at a time, each awaited
 *   redstream-burst     RedisStreamsClient.emit, `burst` fire-and-forget emits per burst
 *   redstream-keyed     as redstream-burst, each with an idempotency key (producer dedupe)
 *   core-burst          StreamProducer.publish bursts (fast prefill, not a measured figure);
 *                       `prioritized`: the messages go to high, normal and low in turn
 *   bullmq-add          Queue.add, one at a time, each awaited
 *   bullmq-addBulk      Queue.addBulk of `burst` jobs (BullMQ 6 when `bullmqModule` is set)
 *   raw-pipelined       node-redis v4 XADD of the same three fields redstream writes
 *                       (data, id, ts), `burst` commands per pipeline
 *   raw-data-only       the same with the `data` field alone
 *   nest-redis-burst    Nest's built-in Redis ClientProxy.emit (PUBLISH), bursts
 * Bursts, fixed-rate offering and the report are bench/lib/publish-loop.mjs, shared with
 * the anchors' producers.
 */
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { StreamProducer } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { lastValueFrom } from 'rxjs';
import { now } from '../lib/clock.mjs';
import { runPublisher } from '../lib/publish-loop.mjs';
import { config, payload } from '../lib/role.mjs';

const { mode, count, burst = 1000, rate } = config;

async function connect() {
  switch (mode) {
    case 'redstream-awaited':
    case 'redstream-burst':
    case 'redstream-keyed': {
      const client = new RedisStreamsClient({ url: config.url });
      await client.connect();
      const emit =
        mode === 'redstream-keyed'
          ? (i) => client.emit(config.stream, new RedisStreamRecordBuilder(payload(i, now())).setIdempotencyKey(`k-${config.run}-${i}`).build())
          : (i) => client.emit(config.stream, payload(i, now()));
      return { fireOne: emit, publishOne: (i) => lastValueFrom(emit(i)), close: () => client.close() };
    }
    case 'core-burst': {
      const producer = await StreamProducer.connect({ url: config.url });
      const levels = ['high', 'normal', 'low'];
      const publishOne = config.keyed
        ? (i) => producer.publish(config.stream, payload(i, now()), { idempotencyKey: `k-${config.run}-${i}` })
        : config.prioritized
          ? (i) => producer.publish(config.stream, payload(i, now()), { priority: levels[i % 3] })
          : (i) => producer.publish(config.stream, payload(i, now()));
      return { publishOne, close: () => producer.close() };
    }
    case 'bullmq-add':
    case 'bullmq-addBulk': {
      // BullMQ 6 comes from the bench's anchors package (`bullmqModule`), 5.x from the root.
      const { Queue } = await import(config.bullmqModule ?? 'bullmq');
      const queue = new Queue(config.queue, { connection: { host: '127.0.0.1', port: config.port } });
      await queue.waitUntilReady();
      const opts = { removeOnComplete: true, removeOnFail: true };
      return {
        publishOne: (i) => queue.add('bench', payload(i, now()), opts),
        publishMany: (from, to) => {
          const jobs = [];
          for (let i = from; i < to; i++) jobs.push({ name: 'bench', data: payload(i, now()), opts });
          return queue.addBulk(jobs);
        },
        close: () => queue.close(),
      };
    }
    case 'raw-pipelined':
    case 'raw-data-only': {
      const client = createClient({ url: config.url });
      await client.connect();
      const publishOne =
        mode === 'raw-pipelined'
          ? (i) => client.sendCommand(['XADD', config.streamKey, '*', 'data', JSON.stringify(payload(i, now())), 'id', randomUUID(), 'ts', String(Date.now())])
          : (i) => client.sendCommand(['XADD', config.streamKey, '*', 'data', JSON.stringify(payload(i, now()))]);
      return { fireOne: (i) => publishOne(i).catch(reportFailure), publishOne, close: () => client.quit() };
    }
    case 'nest-redis-burst': {
      Logger.overrideLogger(['error', 'warn']);
      const client = ClientProxyFactory.create({ transport: Transport.REDIS, options: { host: '127.0.0.1', port: config.port } });
      await client.connect();
      const emit = (i) => client.emit(config.stream, payload(i, now()));
      return { fireOne: emit, publishOne: (i) => lastValueFrom(emit(i)), close: () => client.close() };
    }
    default:
      throw new Error(`unknown publisher mode ${mode}`);
  }
}

function reportFailure(error) {
  console.error(`publish failed: ${error.message}`);
}

const client = await connect();
await runPublisher(client, { count, burst, rate, awaited: mode.endsWith('-awaited') || mode === 'bullmq-add' });
