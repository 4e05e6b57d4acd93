/**
 * Port of nestjs/nest `integration/microservices/e2e/broadcast-redis.spec.ts` and
 * `multicast-redis.spec.ts`: two servers answer one request with an Observable that emits 1 and
 * never completes; the requester's `take(2)` gets both answers. With streams, "two subscribers"
 * are two consumer groups of the pattern's stream (two servers of one group share the work).
 */
import { usePrivateRedis } from '../../support/private-redis.js';
import { waitFor } from '../../support/wait-for.js';
import { BroadcastController, startConformanceApp, type ConformanceApp } from './conformance-app.js';

describe('Nest conformance: broadcast (broadcast-redis.spec.ts, multicast-redis.spec.ts)', () => {
  const env = usePrivateRedis();
  let app: ConformanceApp;

  beforeEach(async () => {
    app = await startConformanceApp([BroadcastController], env.redis.url, { groups: ['a', 'b'] });
  });
  afterEach(async () => {
    await app.close();
  });

  it('Broadcast (2 subscribers) / Multicast (2 subscribers)', async () => {
    expect(await app.get('/broadcast')).toEqual({ status: 200, text: '2' });
  });

  it('acknowledges each group\'s request entry once answered, although its Observable never completes', async () => {
    await app.get('/broadcast');
    const pending = async () => {
      const groups = (await env.client.sendCommand(['XINFO', 'GROUPS', 'rs:{cmd=broadcast}'])) as unknown[][];
      return groups.map((group) => group[group.indexOf('pending') + 1]);
    };
    await waitFor(async () => (await pending()).join() === '0,0', { what: 'both request entries acked' });
  });
});
