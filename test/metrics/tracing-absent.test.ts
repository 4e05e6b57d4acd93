/**
 * Without @opentelemetry/api installed, nothing is wrapped: the consumer has no tracing
 * middleware and the producer writes the headers it was given, nothing more. (A child
 * process whose module resolution fails for the package, as a missing install would.)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { usePrivateRedis } from '../support/private-redis.js';

describe('OpenTelemetry absent', () => {
  const env = usePrivateRedis();

  it('publishes and consumes with no tracing hook at all', () => {
    const output = execFileSync(process.execPath, [join(process.cwd(), 'test', 'fixtures', 'without-opentelemetry.mjs')], {
      env: { ...process.env, REDIS_URL: env.redis.url },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(JSON.parse(output)).toEqual({ headers: { tenant: 't1' }, middlewares: 0, otelImportable: false });
  });
});
