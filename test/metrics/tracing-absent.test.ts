/**
 * Without @opentelemetry/api installed, nothing is wrapped: the consumer has no tracing
 * middleware and the producer writes the headers it was given, nothing more. (A child
 * process whose module resolution fails for the package, as a missing install would.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { RedisServer } from '../support/redis-server.js';

describe('OpenTelemetry absent', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('publishes and consumes with no tracing hook at all', () => {
    const output = execFileSync(process.execPath, [join(process.cwd(), 'test', 'fixtures', 'without-opentelemetry.mjs')], {
      env: { ...process.env, REDIS_URL: redis.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(output)).toEqual({ headers: { tenant: 't1' }, middlewares: 0, otelImportable: false });
  });
});
