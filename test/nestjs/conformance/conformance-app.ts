/**
 * The application of Nest's `integration/microservices` specs, with redstream in place of
 * Nest's own transport: an HTTP app whose controller calls a RedisStreamsClient and that
 * connects one RedisStreamsServer per consumer group (hybrid app), so that the tests drive
 * it over HTTP exactly as Nest's specs do.
 */
import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Inject, Module, Post, Query, type INestApplication, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientsModule, EventPattern, MessagePattern, type ClientProxy } from '@nestjs/microservices';
import { RedisStreamsClient, RedisStreamsServer, type RedisStreamsServerOptions } from '@redstream/nestjs';
import type { AddressInfo } from 'node:net';
import { from, lastValueFrom, Observable, of, scan, take } from 'rxjs';
import { quietLogger } from '../../support/quiet-logger.js';

export const CLIENT = 'STREAMS_CLIENT';

/** Mirrors Nest's AppController / RedisController (sum, asyncSum, streamSum, streaming, concurrent, notify). */
@Controller()
export class SumController {
  static notified = false;

  constructor(@Inject(CLIENT) private readonly client: ClientProxy) {}

  @Post()
  @HttpCode(200)
  call(@Query('command') cmd: string, @Body() data: number[]): Observable<number> {
    return this.client.send<number>({ cmd }, data);
  }

  @Post('stream')
  @HttpCode(200)
  stream(@Body() data: number[]): Observable<number> {
    return this.client.send<number>({ cmd: 'streaming' }, data).pipe(scan((a, b) => a + b));
  }

  @Post('concurrent')
  @HttpCode(200)
  async concurrent(@Body() data: number[][]): Promise<boolean> {
    const results = await Promise.all(
      data.map(async (tab) => (await lastValueFrom(this.client.send<number>({ cmd: 'sum' }, tab))) === tab.reduce((a, b) => a + b)),
    );
    return results.every(Boolean);
  }

  @Post('notify')
  async notify(): Promise<unknown> {
    return lastValueFrom(this.client.emit<number>('notification', true));
  }

  @MessagePattern({ cmd: 'sum' })
  sum(data: number[]): number {
    return (data || []).reduce((a, b) => a + b);
  }

  @MessagePattern({ cmd: 'asyncSum' })
  async asyncSum(data: number[]): Promise<number> {
    return (data || []).reduce((a, b) => a + b);
  }

  @MessagePattern({ cmd: 'streamSum' })
  streamSum(data: number[]): Observable<number> {
    return of((data || []).reduce((a, b) => a + b));
  }

  @MessagePattern({ cmd: 'streaming' })
  streaming(data: number[]): Observable<number> {
    return from(data);
  }

  @EventPattern('notification')
  eventHandler(data: boolean): void {
    SumController.notified = data;
  }
}

/** Mirrors Nest's RedisBroadcastController / RedisMulticastController. */
@Controller()
export class BroadcastController {
  constructor(@Inject(CLIENT) private readonly client: ClientProxy) {}

  @Get('broadcast')
  broadcast(): Observable<number> {
    return this.client.send<number>({ cmd: 'broadcast' }, {}).pipe(
      scan((a, b) => a + b),
      take(2),
    );
  }

  @MessagePattern({ cmd: 'broadcast' })
  replyBroadcast(): Observable<number> {
    return new Observable((observer) => observer.next(1));
  }
}

export interface ConformanceApp {
  readonly app: INestApplication;
  readonly microservices: INestMicroservice[];
  readonly baseUrl: string;
  post(path: string, body?: unknown): Promise<{ status: number; text: string }>;
  get(path: string): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

/**
 * Starts the HTTP app with one RedisStreamsServer per group (all on `redisUrl`) and the
 * client registered through ClientsModule with `customClass`, as a Nest user would.
 */
export async function startConformanceApp(
  controllers: (new (...args: never[]) => unknown)[],
  redisUrl: string,
  { groups = ['conformance'], server = {}, configure }: { groups?: string[]; server?: Partial<RedisStreamsServerOptions>; configure?: (microservice: INestMicroservice) => void } = {},
): Promise<ConformanceApp> {
  @Module({
    imports: [ClientsModule.register([{ name: CLIENT, customClass: RedisStreamsClient, options: { url: redisUrl, logger: quietLogger, requestTimeoutMs: 3_000 } }])],
    controllers,
  })
  class ConformanceModule {}

  const app = await NestFactory.create(ConformanceModule, { logger: false });
  const microservices = groups.map((group) => {
    const strategy = new RedisStreamsServer({ url: redisUrl, group, logger: quietLogger, blockMs: 200, ...server });
    const microservice = app.connectMicroservice({ strategy }, { inheritAppConfig: false, deferInitialization: true }) as INestMicroservice;
    configure?.(microservice);
    return microservice;
  });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, text: await response.text() };
  };
  return {
    app,
    microservices,
    baseUrl,
    post: (path, body) => call('POST', path, body),
    get: (path) => call('GET', path),
    close: () => app.close(),
  };
}
