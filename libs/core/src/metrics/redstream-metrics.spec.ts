import { Histogram, Registry } from 'prom-client';
import { StreamConsumer } from '../consumer/stream-consumer.js';
import { InvalidOptionError } from '../errors/index.js';
import type { ConsumerObserver } from '../consumer/received-message.js';
import { RedstreamMetrics } from './redstream-metrics.js';

/** The observer RedstreamMetrics attached to a (never started) consumer. */
function observerOf(consumer: StreamConsumer): Required<ConsumerObserver> {
  return (consumer as unknown as { observers: { current: Required<ConsumerObserver> } }).observers.current;
}

function seriesOf(text: string, name: string): string[] {
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('RedstreamMetrics', () => {
  const buckets = [0.005, 0.05, 0.5];

  it('publishes handled counts once, across scrapes, per stream, group and outcome', async () => {
    const registry = new Registry();
    const consumer = new StreamConsumer({ group: 'billing' });
    new RedstreamMetrics({ registry, durationBuckets: buckets }).observe(consumer);
    const observer = observerOf(consumer);
    observer.handled('orders', 'success', 3);
    observer.handled('orders', 'success', 4);
    observer.handled('orders', 'retried', 40);
    const first = await registry.metrics();
    expect(first).toContain('redstream_messages_handled_total{stream="orders",group="billing",outcome="success"} 2');
    expect(first).toContain('redstream_messages_handled_total{stream="orders",group="billing",outcome="dead-lettered"} 0');
    observer.handled('orders', 'success', 1);
    observer.handled('orders', 'skipped-duplicate', 0);
    const second = await registry.metrics();
    expect(second).toContain('redstream_messages_handled_total{stream="orders",group="billing",outcome="success"} 3');
    expect(second).toContain('redstream_messages_handled_total{stream="orders",group="billing",outcome="skipped-duplicate"} 1');
    expect(await registry.metrics()).toContain('outcome="success"} 3');
  });

  it('exposes the duration histogram exactly as a prom-client Histogram would', async () => {
    const registry = new Registry();
    const consumer = new StreamConsumer({ group: 'billing' });
    new RedstreamMetrics({ registry, durationBuckets: buckets }).observe(consumer);
    const reference = new Registry();
    const histogram = new Histogram({
      name: 'redstream_handler_duration_seconds',
      help: 'x',
      labelNames: ['stream', 'group', 'outcome'],
      buckets,
      registers: [reference],
    });
    const durationsMs = [1, 5, 6, 49.9, 50, 51, 700, 0.2];
    for (const ms of durationsMs) {
      observerOf(consumer).handled('orders', 'success', ms);
      histogram.observe({ stream: 'orders', group: 'billing', outcome: 'success' }, ms / 1_000);
    }
    const ours = seriesOf(await registry.metrics(), 'redstream_handler_duration_seconds').filter((line) => line.includes('outcome="success"'));
    const theirs = seriesOf(await reference.metrics(), 'redstream_handler_duration_seconds');
    expect(ours).toEqual(theirs);
    expect(ours).toContain('redstream_handler_duration_seconds_bucket{le="0.05",stream="orders",group="billing",outcome="success"} 6');
  });

  it('merges two consumers of one group into one series and counts rare events directly', async () => {
    const registry = new Registry();
    const a = new StreamConsumer({ group: 'billing' });
    const b = new StreamConsumer({ group: 'billing' });
    new RedstreamMetrics({ registry, durationBuckets: buckets }).observe(a).observe(b);
    observerOf(a).handled('orders', 'success', 2);
    observerOf(b).handled('orders', 'success', 2);
    observerOf(a).reclaimed('orders', 7);
    observerOf(b).trimmed('orders', 300);
    observerOf(a).deadLetterDropped('orders', 2);
    const text = await registry.metrics();
    expect(seriesOf(text, 'redstream_handler_duration_seconds_count')).toEqual([
      'redstream_handler_duration_seconds_count{stream="orders",group="billing",outcome="success"} 2',
      'redstream_handler_duration_seconds_count{stream="orders",group="billing",outcome="retried"} 0',
      'redstream_handler_duration_seconds_count{stream="orders",group="billing",outcome="dead-lettered"} 0',
    ]);
    expect(text).toContain('redstream_messages_handled_total{stream="orders",group="billing",outcome="success"} 2');
    expect(text).toContain('redstream_messages_reclaimed_total{stream="orders",group="billing"} 7');
    expect(text).toContain('redstream_stream_trimmed_total{stream="orders"} 300');
    expect(text).toContain('redstream_dead_letters_dropped_total{stream="orders"} 2');
    // Not connected: no stream gauges, and no failed collection either.
    expect(seriesOf(text, 'redstream_stream_length{')).toEqual([]);
    expect(text).toContain('redstream_consumer_connected{group="billing"} 0');
  });

  it('rejects a bad prefix or buckets, naming the option', () => {
    expect(() => new RedstreamMetrics({ registry: new Registry(), prefix: 'my-app' })).toThrow(InvalidOptionError);
    expect(() => new RedstreamMetrics({ registry: new Registry(), durationBuckets: [1, 0.5] })).toThrow(/`durationBuckets`/);
  });
});
