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
