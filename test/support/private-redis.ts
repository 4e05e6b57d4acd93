/**
 * A private redis-server and a client for assertions, started before the tests of the
 * calling file and stopped after them: `const env = usePrivateRedis(); env.redis.url`.
 */
import { RedisServer, type RedisServerOptions } from './redis-server.js';

export type RedisClient = Awaited<ReturnType<RedisServer['client']>>;

export interface PrivateRedis {
  readonly redis: RedisServer;
  readonly client: RedisClient;
}

export function usePrivateRedis(options: RedisServerOptions = {}): PrivateRedis {
  const env = {} as { redis: RedisServer; client: RedisClient };
  beforeAll(async () => {
    env.redis = await RedisServer.start(options);
    env.client = await env.redis.client();
  });
  afterAll(async () => {
    await env.client?.quit();
    await env.redis?.stop();
  });
  return env;
}

/**
 * Servers a test kills, restarts or configures itself (AOF restarts, TLS, a password):
 * `const servers = useRedisServers(); const redis = await servers.start({ aof: true })`. Each is
 * stopped after its test (or, with `'file'`, after the file), pass or fail.
 */
export function useRedisServers(scope: 'test' | 'file' = 'test'): { start(options?: RedisServerOptions): Promise<RedisServer> } {
  const started: RedisServer[] = [];
  (scope === 'test' ? afterEach : afterAll)(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });
  return {
    async start(options = {}) {
      const server = await RedisServer.start(options);
      started.push(server);
      return server;
    },
  };
}
