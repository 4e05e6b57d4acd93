/** Builds a small Nest microservice with the Redis Streams transport, for tests. */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { RedisStreamContext, RedisStreamsExceptionFilter, RedisStreamsServer, type RedisStreamsServerOptions } from '@redstream/nestjs';
import { quietLogger } from '../support/quiet-logger.js';

export interface Received {
  data: unknown;
  stream: string;
  entryId: string;
  messageId: string;
  deliveryCount: number;
  headers: Record<string, string>;
}

/** What the handlers do; each test supplies its own. */
export interface Behaviour {
  onEvent?(data: unknown, ctx: RedisStreamContext): Promise<void> | void;
  onQuote?(data: { sku: string }): unknown;
}

export async function startWorker(
  stream: string,
  options: RedisStreamsServerOptions,
  behaviour: Behaviour,
  { exceptionFilter = true, beforeListen }: { exceptionFilter?: boolean; beforeListen?: (server: RedisStreamsServer) => void } = {},
): Promise<{ app: INestMicroservice; server: RedisStreamsServer; received: Received[] }> {
  const received: Received[] = [];

  @Controller()
  class Handlers {
    @EventPattern(stream)
    async event(@Payload() data: unknown, @Ctx() ctx: RedisStreamContext): Promise<void> {
      received.push({
        data,
        stream: ctx.getStream(),
        entryId: ctx.getEntryId(),
        messageId: ctx.getMessageId(),
        deliveryCount: ctx.getDeliveryCount(),
        headers: ctx.getHeaders(),
      });
      await behaviour.onEvent?.(data, ctx);
    }

    @MessagePattern(`${stream}.quote`)
    quote(@Payload() data: { sku: string }): unknown {
      return behaviour.onQuote?.(data) ?? { sku: data.sku, price: 42 };
    }
  }

  @Module({ controllers: [Handlers] })
  class WorkerModule {}

  const server = new RedisStreamsServer({ logger: quietLogger, ...options });
  const app = await NestFactory.createMicroservice(WorkerModule, { strategy: server, logger: false });
  if (exceptionFilter) app.useGlobalFilters(new RedisStreamsExceptionFilter());
  beforeListen?.(server);
  await app.listen();
  return { app, server, received };
}
