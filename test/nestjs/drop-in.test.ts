/**
 * The behaviours a Nest team relies on when it swaps Transport.REDIS for redstream, each of
 * which failed before (issue "A drop-in Nest transport"): several handlers on one event pattern,
 * streamed replies, a never-completing reply Observable, close() while connecting, the
 * transport id in processing hooks.
 */
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventPattern, MessagePattern } from '@nestjs/microservices';
import { REDIS_STREAMS_TRANSPORT, RedisStreamsClient, RedisStreamsServer } from '@redstream/nestjs';
import { firstValueFrom, from, lastValueFrom, Observable, take, toArray } from 'rxjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

const calls = { first: 0, second: 0, third: 0 };

@Controller()
class FirstHandlers {
  @EventPattern('shared.event')
  first(): void {
    calls.first += 1;
  }

  @MessagePattern('five')
  five(): Observable<number> {
    return from([1, 2, 3, 4, 5]);
  }

  @MessagePattern('forever')
  forever(): Observable<number> {
    return new Observable<number>((subscriber) => {
      let n = 0;
      const ticker = setInterval(() => subscriber.next(++n), 20);
      return () => clearInterval(ticker);
    });
  }

  @MessagePattern('nothing')
  nothing(): void {
    return undefined;
  }
}

@Controller()
class SecondHandlers {
  @EventPattern('shared.event')
  second(): void {
    calls.second += 1;
  }
}

@Controller()
class ThirdHandlers {
  @EventPattern('shared.event')
  third(): void {
    calls.third += 1;
  }
}

@Module({ controllers: [FirstHandlers, SecondHandlers, ThirdHandlers] })
class DropInModule {}

describe('Nest drop-in behaviours', () => {
  const env = usePrivateRedis();
  // An inner describe: its afterAll closes the app and the client before the outer one stops Redis.
  describe('one worker app and one client', () => {
    let app: INestMicroservice;
    let server: RedisStreamsServer;
    let client: RedisStreamsClient;
    const hookTransports: unknown[] = [];

    beforeAll(async () => {
      server = new RedisStreamsServer({ url: env.redis.url, group: 'drop-in', logger: quietLogger, blockMs: 200 });
      server.setOnProcessingStartHook((transportId, _context, done) => {
        hookTransports.push(transportId);
        return done();
      });
      app = await NestFactory.createMicroservice(DropInModule, { strategy: server, logger: false });
      await app.listen();
      client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, requestTimeoutMs: 2_000 });
      await client.connect();
    });
    afterAll(async () => { (globalThis as any).__dbg = true;
      await client.close();
      await app.close();
    });

    it('runs each of three handlers on one event pattern exactly once per entry (handler k ran k times)', async () => {
      for (let i = 0; i < 10; i++) await lastValueFrom(client.emit('shared.event', { i }));
      await waitFor(() => calls.first === 10 && calls.second === 10 && calls.third === 10, { what: 'every handler ten times' });
      await waitFor(async () => ((await env.client.sendCommand(['XPENDING', 'rs:{shared.event}', 'drop-in'])) as [number])[0] === 0, {
        what: 'all acked',
      });
      expect(calls).toEqual({ first: 10, second: 10, third: 10 });
    });

    it('streams a five-value Observable as five values, then completes', async () => {
      expect(await lastValueFrom(client.send<number>('five', {}).pipe(toArray()))).toEqual([1, 2, 3, 4, 5]);
    });

    it('streams the values of an Observable that never completes, and acks its request entry', async () => {
      expect(await firstValueFrom(client.send<number>('forever', {}).pipe(take(3), toArray()))).toEqual([1, 2, 3]);
      await waitFor(async () => ((await env.client.sendCommand(['XPENDING', 'rs:{forever}', 'drop-in'])) as [number])[0] === 0, {
        what: 'the request acked while its Observable runs on',
      });
    });

    it('completes without a value when the handler returns nothing, as Nest transports do', async () => {
      await expect(lastValueFrom(client.send('nothing', {}), { defaultValue: 'empty' })).resolves.toBe('empty');
    });

    it('passes its transport id to the processing hooks', async () => {
      expect(hookTransports.length).toBeGreaterThan(0);
      expect(new Set(hookTransports)).toEqual(new Set([REDIS_STREAMS_TRANSPORT]));
      expect(server.transportId).toBe(REDIS_STREAMS_TRANSPORT);
    });

    it('ends an open reply stream with an error when the worker closes', async () => {
      const second = new RedisStreamsServer({ url: env.redis.url, group: 'closing', logger: quietLogger, blockMs: 200 });
      const closing = await NestFactory.createMicroservice(DropInModule, { strategy: second, logger: false });
      await closing.listen();
      const values: number[] = [];
      const ended = new Promise<unknown>((resolve) => {
        client.send<number>('forever', {}).subscribe({ next: (v) => values.push(v), error: resolve, complete: () => resolve('completed') });
      });
      await waitFor(() => values.length >= 6, { what: 'values from both groups' });
      await closing.close();
      // The other group's stream still runs; this one's answer ended with the shutdown error.
      await expect(ended).resolves.toMatchObject({ message: expect.stringContaining('shut down') });
    });
  });
});

describe('RedisStreamsClient connections', () => {
  const env = usePrivateRedis();
  const clientConnections = async () =>
    ((await env.client.sendCommand(['CLIENT', 'LIST'])) as string).split('\n').filter((line) => /name=redstream-(producer|replies)/.test(line)).length;

  it('leaves no connection behind after close() during a pending connect() and a reconnect', async () => {
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger });
    const first = client.connect();
    await client.close();
    await expect(first).rejects.toMatchObject({ code: 'ERR_CLIENT_CLOSED' });
    await client.connect();
    await waitFor(async () => (await clientConnections()) === 1, { what: 'one command connection' });
    await client.close();
    await waitFor(async () => (await clientConnections()) === 0, { what: 'no connection left' });
  });

  it('closes the reply reader and deletes the reply stream on close()', async () => {
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, requestTimeoutMs: 200 });
    await firstValueFrom(client.send('nobody', {})).catch(() => undefined);
    expect(await clientConnections()).toBe(2);
    await client.close();
    await waitFor(async () => (await clientConnections()) === 0, { what: 'both connections closed' });
    expect(await env.client.keys('rs:{reply.*')).toEqual([]);
  });
});
