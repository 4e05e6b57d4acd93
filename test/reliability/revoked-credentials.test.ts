/**
 * A worker whose password is rotated away must not go on as anyone else. node-redis writes its
 * offline queue right behind the AUTH of a new socket, so before this was fixed the worker's
 * queued XREADGROUP / XACK ran as the `default` user after `ACL SETUSER worker resetpass` and
 * `CLIENT KILL USER worker` (CLIENT LIST showed the worker's connections with user=default) and
 * consumption went on. Now no command leaves before AUTH succeeded: the worker stops consuming,
 * says why, retries with backoff, and resumes by itself once the password works again.
 */
import { StreamConsumer, StreamProducer, type ReceivedMessage } from '@redstream/core';
import { useCleanup } from '../support/cleanup.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { collectingLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';

describe('revoked credentials', () => {
  const env = usePrivateRedis();
  const stopAfterEach = useCleanup();

  const workerConnections = async () =>
    ((await env.client.sendCommand(['CLIENT', 'LIST'])) as string)
      .split('\n')
      .filter((line) => / name=redstream-billing-/.test(line))
      .map((line) => / user=(\S+)/.exec(line)?.[1]);

  it('stops using the connection, runs nothing as default, reports WRONGPASS, and resumes once the password works again', async () => {
    const stream = 'rotated.orders';
    await env.client.sendCommand(['ACL', 'SETUSER', 'worker', 'on', '>original', '~*', '&*', '+@all']);
    const url = env.redis.url.replace('redis://', 'redis://worker:original@');
    const logger = collectingLogger();
    const handled: number[] = [];
    const consumer = stopAfterEach(
      new StreamConsumer({ url, group: 'billing', consumer: 'w1', logger, blockMs: 200 }).subscribe(stream, (message: ReceivedMessage) => {
        handled.push(message.data as number);
      }),
      (c) => c.stop(),
    );
    await consumer.start();
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());
    await producer.publishMany(stream, Array.from({ length: 10 }, (_, i) => ({ data: i })));
    await waitFor(() => handled.length === 10, { what: 'the first ten handled' });
    expect(new Set(await workerConnections())).toEqual(new Set(['worker']));

    await env.client.sendCommand(['ACL', 'SETUSER', 'worker', 'resetpass', '>rotated']);
    await env.client.sendCommand(['CLIENT', 'KILL', 'USER', 'worker']);
    await producer.publishMany(stream, Array.from({ length: 20 }, (_, i) => ({ data: 10 + i })));

    await waitFor(() => logger.lines.some((line) => line.startsWith('error') && /WRONGPASS/.test(line)), {
      what: 'the authentication error reported',
    });
    // Several reconnect attempts later: nothing consumed, no connection of the worker under another user.
    const errorsAt = logger.lines.length;
    await waitFor(() => logger.lines.length > errorsAt || consumer.status === 'reconnecting', { what: 'a further attempt' });
    expect(handled).toHaveLength(10);
    expect((await workerConnections()).filter((user) => user !== 'worker')).toEqual([]);
    const pending = (await env.client.sendCommand(['XPENDING', `rs:{${stream}}`, 'billing'])) as [number];
    expect(pending[0]).toBe(0);

    await env.client.sendCommand(['ACL', 'SETUSER', 'worker', '>original']);
    await waitFor(() => handled.length === 30, { timeoutMs: 30_000, what: 'the other twenty handled after the password works again' });
    expect([...handled].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(await workerConnections())).toEqual(new Set(['worker']));
  });
});
