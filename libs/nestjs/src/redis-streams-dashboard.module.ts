/**
 * Mounts the redstream web dashboard inside an existing Nest HTTP app (Express or Fastify):
 *
 *   RedisStreamsDashboardModule.register({ path: '/redstream', url: process.env.REDIS_URL })
 *
 * Read-only unless `allowWrites: true`; with `token`, every request must carry it. The
 * dashboard opens its own Redis connection when the app starts and closes it on shutdown.
 */
import { Inject, Module, RequestMethod, type DynamicModule, type MiddlewareConsumer, type NestModule, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_URL, DEFAULTS, KeyBuilder, RedisConnection, redactUrl, type ConnectionOptions } from '@redstream/core';
import { RedisStreamsDashboard, type DashboardOptions } from '@redstream/dashboard';

export interface RedisStreamsDashboardModuleOptions extends Pick<DashboardOptions, 'allowWrites' | 'token' | 'allowedHosts' | 'sampleIntervalMs' | 'historyMs'> {
  /** Where the dashboard is served, e.g. `/redstream` (the default). */
  path?: string;
  /** Redis to show; or pass `connection` for client / cluster / TLS options. */
  url?: string;
  connection?: ConnectionOptions;
  /** Key prefix the services use. Default `rs`. */
  prefix?: string;
}

export const REDIS_STREAMS_DASHBOARD_OPTIONS = Symbol('REDIS_STREAMS_DASHBOARD_OPTIONS');

/** Owns the dashboard's connection; the middleware below hands it every request under the path. */
export class RedisStreamsDashboardHost implements OnModuleInit, OnApplicationShutdown {
  private connection: RedisConnection | undefined;
  private dashboard: RedisStreamsDashboard | undefined;

  constructor(@Inject(REDIS_STREAMS_DASHBOARD_OPTIONS) private readonly options: RedisStreamsDashboardModuleOptions) {}

  async onModuleInit(): Promise<void> {
    const given: ConnectionOptions = this.options.connection ?? { url: this.options.url ?? DEFAULT_URL };
    // No offline queue: while Redis is away a page says so at once instead of hanging.
    const connectionOptions: ConnectionOptions = given.cluster ? given : { ...given, client: { disableOfflineQueue: true, ...given.client } };
    this.connection = await RedisConnection.open(connectionOptions, 'redstream-dashboard');
    const url = connectionOptions.url ?? connectionOptions.client?.url;
    this.dashboard = new RedisStreamsDashboard({
      connection: this.connection,
      keys: new KeyBuilder(this.options.prefix ?? DEFAULTS.prefix),
      basePath: this.options.path ?? '/redstream',
      allowWrites: this.options.allowWrites,
      token: this.options.token,
      allowedHosts: this.options.allowedHosts,
      sampleIntervalMs: this.options.sampleIntervalMs,
      historyMs: this.options.historyMs,
      target: connectionOptions.cluster ? 'redis cluster' : redactUrl(url ?? DEFAULT_URL),
    });
  }

  handle(req: IncomingMessage, res: ServerResponse, next: () => void): void {
    if (!this.dashboard) return next();
    this.dashboard.handle(req, res, next).catch(next);
  }

  async onApplicationShutdown(): Promise<void> {
    this.dashboard?.close();
    await this.connection?.close();
  }
}

@Module({})
export class RedisStreamsDashboardModule implements NestModule {
  constructor(
    private readonly host: RedisStreamsDashboardHost,
    @Inject(REDIS_STREAMS_DASHBOARD_OPTIONS) private readonly options: RedisStreamsDashboardModuleOptions,
  ) {}

  static register(options: RedisStreamsDashboardModuleOptions = {}): DynamicModule {
    return {
      module: RedisStreamsDashboardModule,
      providers: [{ provide: REDIS_STREAMS_DASHBOARD_OPTIONS, useValue: options }, RedisStreamsDashboardHost],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const path = (this.options.path ?? '/redstream').replace(/^\/+|\/+$/g, '');
    const host = this.host;
    consumer
      .apply((req: IncomingMessage, res: ServerResponse, next: () => void) => host.handle(req, res, next))
      .forRoutes({ path, method: RequestMethod.ALL }, { path: `${path}/*path`, method: RequestMethod.ALL });
  }
}
