import { Module, type DynamicModule, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { RedisStreamsClient } from './redis-streams.client.js';
import type { RedisStreamsClientOptions } from './redis-streams.options.js';

export interface RedisStreamsClientRegistration extends RedisStreamsClientOptions {
  /** Injection token: `@Inject('ORDERS') client: RedisStreamsClient`. */
  name: string | symbol;
}

class ClientCloser implements OnApplicationShutdown {
  constructor(private readonly clients: RedisStreamsClient[]) {}
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close()));
  }
}

/**
 * Registers RedisStreamsClient instances for injection and closes them on shutdown.
 * (`ClientsModule.register([{ name, customClass: RedisStreamsClient, options }])` works too.)
 */
@Module({})
export class RedisStreamsModule {
  static register(registrations: RedisStreamsClientRegistration | RedisStreamsClientRegistration[]): DynamicModule {
    const list = Array.isArray(registrations) ? registrations : [registrations];
    const clients = list.map(({ name, ...options }) => ({ name, client: new RedisStreamsClient(options) }));
    const providers: Provider[] = clients.map(({ name, client }) => ({ provide: name, useValue: client }));
    providers.push({ provide: ClientCloser, useValue: new ClientCloser(clients.map((c) => c.client)) });
    return {
      module: RedisStreamsModule,
      providers,
      exports: clients.map((c) => c.name),
    };
  }
}
