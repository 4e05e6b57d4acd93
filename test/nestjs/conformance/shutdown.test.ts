/**
 * Ports of nestjs/nest `integration/microservices/e2e/hybrid-shutdown-hooks.spec.ts` and
 * `tcp-shutdown.spec.ts`, for a stream transport: a connected microservice's signal listeners go
 * with the app; once `close()` resolves nothing of the transport stays connected to Redis and no
 * handler runs for entries published afterwards (they wait, unread, for the next worker). Not
 * ported: tcp-shutdown's socket bookkeeping (`openSockets`), which is TCP's own.
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern } from '@nestjs/microservices';
import { RedisStreamsClient, RedisStreamsServer } from '@redstream/nestjs';
import { firstValueFrom } from 'rxjs';
import { usePrivateRedis } from '../../support/private-redis.js';
import { quietLogger } from '../../support/quiet-logger.js';
import { startConformanceApp, SumController } from './conformance-app.js';

let handlerCalls = 0;

@Controller()
class PingController {
  @MessagePattern({ cmd: 'ping' })
  ping(): string {
    handlerCalls++;
    return 'pong';
  }
}

@Module({ controllers: [PingController] })
class PingModule {}

describe('Nest conformance: shutdown (hybrid-shutdown-hooks.spec.ts, tcp-shutdown.spec.ts)', () => {
  const env = usePrivateRedis();
  const ourConnections = async () =>
    (await env.client.sendCommand(['CLIENT', 'LIST'])) as string;

  it('should remove the process signal listeners registered by a connected microservice', async () => {
    const baseline = process.listenerCount('SIGTERM');
    const app = await startConformanceApp([SumController], env.redis.url, {
      configure: (microservice) => microservice.enableShutdownHooks(['SIGTERM']),
    });
    expect(process.listenerCount('SIGTERM')).toBe(baseline + 1);
    await app.close();
    expect(process.listenerCount('SIGTERM')).toBe(baseline);
  });

  it('should not execute handlers after shutdown, and leave no connection open', async () => {
    handlerCalls = 0;
    const before = (await ourConnections()).split('\n').filter((line) => line.includes('name=redstream')).length;
    const app: INestMicroservice = await NestFactory.createMicroservice(PingModule, {
      strategy: new RedisStreamsServer({ url: env.redis.url, group: 'ping', logger: quietLogger, blockMs: 200 }),
      logger: false,
    });
    await app.listen();
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, requestTimeoutMs: 1_000 });
    expect(await firstValueFrom(client.send({ cmd: 'ping' }, {}))).toBe('pong');
    expect(handlerCalls).toBe(1);

    await app.close();
    const late = client.getProducer()!.publish('cmd=ping', {});
    await late;
    await expect(firstValueFrom(client.send({ cmd: 'ping' }, {}))).rejects.toMatchObject({ code: 'ERR_REQUEST_TIMEOUT' });
    expect(handlerCalls).toBe(1);
    await client.close();
    const after = (await ourConnections()).split('\n').filter((line) => line.includes('name=redstream')).length;
    expect(after).toBe(before);
  });
});
