/**
 * NestJS's own RabbitMQ transport (`Transport.RMQ`) as a Nest team would run it for work
 * that must not be lost: a durable queue, manual acks (`noAck: false`, the handler acks
 * through its RmqContext after it ran), and `prefetchCount` as tuned by the runner.
 * Uses the anchors package's Nest, whose @nestjs/microservices loads amqplib and
 * amqp-connection-manager from next to it.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload, Transport } from '@nestjs/microservices';
import { defineBenchModule } from '../../lib/bench-module.mjs';
import { now } from '../../lib/clock.mjs';
import { createRecorder } from '../../lib/recorder.mjs';
import { config, onStop, send, when } from '../../lib/role.mjs';

const { broker, prefetch } = config;
const recorder = createRecorder(config);
const ack = (context) => context.getChannelRef().ack(context.getMessage());
const app = await NestFactory.createMicroservice(defineBenchModule({ Controller, Module, EventPattern, Payload, Ctx }, broker.pattern, recorder, ack), {
  transport: Transport.RMQ,
  options: { urls: [broker.url], queue: broker.queue, queueOptions: broker.queueOptions, noAck: false, prefetchCount: prefetch },
  logger: ['error', 'warn'],
});
onStop(() => app.close());
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
await app.listen();
