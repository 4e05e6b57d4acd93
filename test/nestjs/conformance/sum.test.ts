/**
 * Port of nestjs/nest `integration/microservices/e2e/sum-redis.spec.ts` and `sum-rpc.spec.ts`
 * (REDIS / RPC transport), run against RedisStreamsServer + RedisStreamsClient on a private
 * redis-server. Each test names the case it came from. Not ported: "useFactory client" /
 * "useClass client" / "custom client" / "standard client" of sum-rpc (they test ClientsModule's
 * factories and ClientTCP's serializeError, nothing of a transport; ClientsModule with
 * customClass is what every test here uses).
 */
import { usePrivateRedis } from '../../support/private-redis.js';
import { waitFor } from '../../support/wait-for.js';
import { startConformanceApp, SumController, type ConformanceApp } from './conformance-app.js';

describe('Nest conformance: sum (sum-redis.spec.ts, sum-rpc.spec.ts)', () => {
  const env = usePrivateRedis();
  let app: ConformanceApp;

  beforeEach(async () => {
    app = await startConformanceApp([SumController], env.redis.url);
  });
  afterEach(async () => {
    await app.close();
  });

  it('/POST (sum-redis, sum-rpc)', async () => {
    expect(await app.post('/?command=sum', [1, 2, 3, 4, 5])).toEqual({ status: 200, text: '15' });
  });

  it('/POST (Promise/async) (sum-redis, sum-rpc)', async () => {
    expect(await app.post('/?command=asyncSum', [1, 2, 3, 4, 5])).toEqual({ status: 200, text: '15' });
  });

  it('/POST (Observable stream) (sum-redis, sum-rpc)', async () => {
    expect(await app.post('/?command=streamSum', [1, 2, 3, 4, 5])).toEqual({ status: 200, text: '15' });
  });

  it('/POST (concurrent) (sum-redis, sum-rpc)', async () => {
    const data = Array.from({ length: 10 }, (_, row) => Array.from({ length: 10 }, (_, k) => row * 10 + k + 1));
    expect(await app.post('/concurrent', data)).toEqual({ status: 200, text: 'true' });
  });

  it('/POST (streaming) (sum-redis, sum-rpc): every value of the handler Observable reaches the client', async () => {
    expect(await app.post('/stream', [1, 2, 3, 4, 5])).toEqual({ status: 200, text: '15' });
  });

  it('/POST (pattern not found) (sum-rpc): a request nobody serves fails (RequestTimeoutError → 500)', async () => {
    const started = Date.now();
    expect((await app.post('/?command=test', [1])).status).toBe(500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
  });

  it('/POST (event notification) (sum-redis, sum-rpc)', async () => {
    SumController.notified = false;
    await app.post('/notify', [1, 2, 3, 4, 5]);
    await waitFor(() => SumController.notified, { what: 'the notification event handled' });
  });

  it('object patterns map to readable stream names: { cmd: "sum" } → rs:{cmd=sum}', async () => {
    await app.post('/?command=sum', [1, 2]);
    const streams = await env.client.sMembers('rs:streams');
    expect(streams).toEqual(expect.arrayContaining(['cmd=sum', 'cmd=asyncSum', 'cmd=streamSum', 'cmd=streaming', 'notification']));
    expect(await env.client.exists('rs:{cmd=sum}')).toBe(1);
  });
});
