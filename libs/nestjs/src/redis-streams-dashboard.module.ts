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
  private target = 'redis';

  constructor(@Inject(REDIS_STREAMS_DASHBOARD_OPTIONS) private readonly options: RedisStreamsDashboardModuleOptions) {}

  async onModuleInit(): Promise<void> {
    const given: ConnectionOptions = this.options.connection ?? { url: this.options.url ?? DEFAULT_URL };
    // No offline queue: while Redis is away a page says so at once instead of hanging.
    const connectionOptions: ConnectionOptions = given.cluster ? given : { ...given, client: { disableOfflineQueue: true, ...given.client } };
    this.connection = await RedisConnection.open(connectionOptions, 'redstream-dashboard');
    const url = connectionOptions.url ?? connectionOptions.client?.url;
    this.target = connectionOptions.cluster ? 'redis cluster' : redactUrl(url ?? DEFAULT_URL);
  }

  handle(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: (error?: unknown) => void): void {
    if (!this.connection) return next();
    try {
      this.dashboard ??= this.createDashboard(req.originalUrl ?? req.url ?? '/');
    } catch (error) {
      return next(error);
    }
    this.dashboard.handle(req, res, next).catch(next);
  }

  /**
   * Nest routes only requests under the path to this middleware, with the app's global prefix
   * (setGlobalPrefix) in front when there is one: what precedes the path in the first request
   * is that prefix, and the dashboard's links must carry it.
   */
  private createDashboard(firstUrl: string): RedisStreamsDashboard {
    const path = normalizePath(this.options.path);
    const pathname = firstUrl.split('?')[0];
    const at = pathname.indexOf(path);
    const prefix = at > 0 ? pathname.slice(0, at).replace(/\/+$/, '') : '';
    return new RedisStreamsDashboard({
      connection: this.connection!,
      keys: new KeyBuilder(this.options.prefix ?? DEFAULTS.prefix),
      basePath: `${prefix}${path}`,
      allowWrites: this.options.allowWrites,
      token: this.options.token,
      allowedHosts: this.options.allowedHosts,
      sampleIntervalMs: this.options.sampleIntervalMs,
      historyMs: this.options.historyMs,
      target: this.target,
    });
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
    const path = normalizePath(this.options.path).slice(1);
    const host = this.host;
    consumer
      .apply((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => host.handle(req, res, next))
      .forRoutes({ path, method: RequestMethod.ALL }, { path: `${path}/*path`, method: RequestMethod.ALL });
  }
}

/** `/redstream` by default; one leading slash, none trailing. */
function normalizePath(path = '/redstream'): string {
  return `/${path.replace(/^\/+|\/+$/g, '')}`;
}
