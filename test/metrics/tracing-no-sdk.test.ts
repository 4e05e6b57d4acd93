/**
 * `@opentelemetry/api` installed (prom-client depends on it) but no SDK registered: nothing
 * is traced, so no span is made, no header is added and no wrapper runs around handlers.
 */
import { StreamConsumer, StreamProducer, type ReceivedMessage } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

describe('OpenTelemetry API without an SDK', () => {
  const env = usePrivateRedis();

  it('adds no trace headers and no handler wrapper', async () => {
    const seen: { message: ReceivedMessage; stack: string }[] = [];
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'g', logger: quietLogger }).subscribe('no-sdk', (message) => {
      seen.push({ message, stack: new Error().stack ?? '' });
    });
    await consumer.start();
    const producer = await StreamProducer.connect({ url: env.redis.url });
    await producer.publish('no-sdk', { n: 1 }, { headers: { tenant: 't1' } });
    await waitFor(() => seen.length === 1, { what: 'the handler' });
    expect(seen[0].message.headers).toEqual({ tenant: 't1' });
    expect(seen[0].stack).not.toMatch(/message-tracing/);
    await consumer.stop();
    await producer.close();
  });
});
