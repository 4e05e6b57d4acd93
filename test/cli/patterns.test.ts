/**
 * Every command's `<stream>` takes what a Nest user knows: the pattern (`{"cmd":"sum"}`, or a
 * string pattern with characters a stream name cannot hold) or the stream name it maps to.
 */
import { StreamProducer, streamNameForPattern } from '@redstream/core';
import { runCliJson } from '../support/cli.js';
import { usePrivateRedis } from '../support/private-redis.js';

describe('redstream <stream> arguments: patterns and mapped names', () => {
  const env = usePrivateRedis();
  const objectStream = streamNameForPattern({ cmd: 'sum' });
  const stringStream = streamNameForPattern('orders created');

  beforeAll(async () => {
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publishMany(objectStream, [{ data: 1 }, { data: 2 }]);
    await producer.publishMany(stringStream, [{ data: 3 }]);
    await producer.close();
    for (const stream of [objectStream, stringStream]) {
      await env.client.sendCommand(['XGROUP', 'CREATE', `rs:{${stream}}`, 'g', '0']);
      await env.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'w', 'COUNT', '10', 'STREAMS', `rs:{${stream}}`, '>']);
    }
  });

  it.each([
    ['an object pattern', '{"cmd":"sum"}', 'rs:{cmd=sum}', 2],
    ['the name it maps to', 'cmd=sum', 'rs:{cmd=sum}', 2],
    ['a string pattern with a space', 'orders created', 'rs:{orders%20created}', 1],
    ['the name that one maps to', 'orders%20created', 'rs:{orders%20created}', 1],
  ])('pending takes %s', async (_name, argument, key, count) => {
    const pending = await runCliJson<{ key: string; count: number }>(['--url', env.redis.url, 'pending', argument]);
    expect(pending).toMatchObject({ key, count });
  });

  it('streams lists the mapped names', async () => {
    const streams = await runCliJson<{ streams: { stream: string }[] } | { stream: string }[]>(['--url', env.redis.url, 'streams']);
    const names = (Array.isArray(streams) ? streams : streams.streams).map((s) => s.stream);
    expect(names).toEqual(expect.arrayContaining([objectStream, stringStream]));
  });
});
