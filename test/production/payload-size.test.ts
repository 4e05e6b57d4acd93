/**
 * maxPayloadBytes: a producer refuses an oversized message before it reaches Redis; a
 * consumer dead-letters an oversized entry (written by another program, or by a producer
 * with a larger limit) with reason `too-large`, without parsing it, and goes on.
 */
import { DEFAULTS, fieldsToObject, PayloadTooLargeError, StreamProducer, type Serializer } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('maxPayloadBytes', () => {
  const fx = useRedis();

  it('defaults to 1 MiB: the producer rejects a larger message with a clear error and writes nothing', async () => {
    expect(DEFAULTS.maxPayloadBytes).toBe(1_048_576);
    const stream = 'size.producer';
    const big = { blob: 'x'.repeat(1_048_576) };
    await expect(fx.producer.publish(stream, big)).rejects.toThrow(PayloadTooLargeError);
    await expect(fx.producer.publish(stream, big)).rejects.toThrow(/A message for stream "size\.producer" is \d+ bytes, more than maxPayloadBytes \(1048576\)/);
    await expect(fx.producer.publish(stream, { small: 1 }, { headers: { h: 'é'.repeat(600_000) } })).rejects.toThrow(PayloadTooLargeError);
    await expect(fx.producer.publish(stream, big, { delayMs: 1_000 })).rejects.toThrow(PayloadTooLargeError);
    expect(await fx.client.sendCommand(['EXISTS', `rs:{${stream}}`, `rs:{${stream}}:delayed`])).toBe(0);

    const roomy = await StreamProducer.connect({ url: fx.redis.url, maxPayloadBytes: 2_000_000, tracing: false });
    try {
      await expect(roomy.publish(stream, big)).resolves.toMatchObject({ added: true });
    } finally {
      await roomy.close();
    }
  });

  it('the consumer dead-letters an oversized entry with reason too-large, unparsed, and handles the next', async () => {
    const stream = 'size.consumer';
    const parsed: number[] = [];
    const serializer: Serializer = {
      serialize: (value) => JSON.stringify(value),
      deserialize: (raw) => {
        parsed.push(raw.length);
        return JSON.parse(raw);
      },
    };
    const handled: unknown[] = [];
    await fx.consumer(stream, (message) => void handled.push(message.data), { maxPayloadBytes: 10_000, serializer });
    const bigData = (await fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', 'data', JSON.stringify('x'.repeat(20_000)), 'id', 'm1', 'ts', '1'])) as string;
    const bigHeaders = (await fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', 'data', '1', 'id', 'm2', 'ts', '1', 'headers', `{"h":"${'y'.repeat(20_000)}"}`])) as string;
    await fx.producer.publish(stream, { after: true });

    await waitFor(async () => handled.length === 1 && (await fx.client.sendCommand(['XLEN', `rs:{${stream}}:dlq`])) === 2 && (await fx.pendingCount(stream)) === 0, {
      timeoutMs: 10_000,
      what: 'two oversized entries dead-lettered and the next one handled',
    });
    expect(handled).toEqual([{ after: true }]);
    expect(parsed.every((length) => length < 10_000)).toBe(true);
    const letters = ((await fx.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][]).map(([, f]) => fieldsToObject(f));
    expect(letters.map((l) => [l.dlqOriginalId, l.dlqReason])).toEqual([
      [bigData, 'too-large'],
      [bigHeaders, 'too-large'],
    ]);
    expect(letters[0].dlqError).toMatch(/is 200\d\d bytes, more than maxPayloadBytes \(10000\)/);
  });
});
