/**
 * A RabbitMQ producer process, persistent messages to the durable queue, publisher confirms:
 *   amqplib-burst   amqplib confirm channel, `burst` sendToQueue per burst, then
 *                   waitForConfirms (fast prefill in the format Nest's client writes)
 *   nest-rmq-burst  Nest's own ClientRMQ.emit (through amqp-connection-manager's confirm
 *                   channel), `burst` emits per burst, ended by the confirm of the last
 */
import { Logger } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import amqplib from 'amqplib';
import { lastValueFrom } from 'rxjs';
import { now } from '../../lib/clock.mjs';
import { runPublisher } from '../../lib/publish-loop.mjs';
import { config, payload } from '../../lib/role.mjs';

const { mode, count, burst = 1000, rate, broker } = config;

async function connect() {
  switch (mode) {
    case 'amqplib-burst': {
      const connection = await amqplib.connect(broker.url);
      const channel = await connection.createConfirmChannel();
      await channel.assertQueue(broker.queue, broker.queueOptions);
      const sendOne = (i) => channel.sendToQueue(broker.queue, Buffer.from(JSON.stringify({ pattern: broker.pattern, data: payload(i, now()) })), { persistent: true });
      return {
        publishOne: async (i) => {
          sendOne(i);
          await channel.waitForConfirms();
        },
        publishMany: async (from, to) => {
          for (let i = from; i < to; i++) sendOne(i);
          await channel.waitForConfirms();
        },
        close: () => connection.close(),
      };
    }
    case 'nest-rmq-burst': {
      Logger.overrideLogger(['error', 'warn']);
      const client = ClientProxyFactory.create({
        transport: Transport.RMQ,
        options: { urls: [broker.url], queue: broker.queue, queueOptions: broker.queueOptions, persistent: true },
      });
      await client.connect();
      const emit = (i) => client.emit(broker.pattern, payload(i, now()));
      return { fireOne: emit, publishOne: (i) => lastValueFrom(emit(i)), close: () => client.close() };
    }
    default:
      throw new Error(`unknown RabbitMQ publisher mode ${mode}`);
  }
}

await runPublisher(await connect(), { count, burst, rate });
