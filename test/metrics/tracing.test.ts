/**
 * A trace started by the producer continues in the consumer's handler: the entry carries
 * W3C `traceparent` in its headers, the consumer's span is a child of the producer's, and
 * the handler runs with it active. OpenTelemetry SDK with an in-memory exporter.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { StreamConsumer, StreamProducer, UnrecoverableError, type ReceivedMessage } from '@redstream/core';
import { quietLogger } from '../support/quiet-logger.js';
import { useCleanup } from '../support/cleanup.js';
import { usePrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait-for.js';

describe('OpenTelemetry trace propagation', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const env = usePrivateRedis();
  const stopAfterEach = useCleanup();

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });

  const spanNamed = (name: string) => waitFor(() => exporter.getFinishedSpans().find((s) => s.name === name), { what: `span "${name}"` });
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('continues the producer\'s trace around the handler, and records a handler failure', async () => {
    const stream = 'trace.orders';
    const seen: { message: ReceivedMessage; active: SpanContext | undefined }[] = [];
    const consumer = stopAfterEach(new StreamConsumer({ url: env.redis.url, group: 'billing', logger: quietLogger, maxDeliveries: 1 }).subscribe(stream, (message) => {
      seen.push({ message, active: trace.getActiveSpan()?.spanContext() });
      if ((message.data as { fail?: boolean }).fail) throw new UnrecoverableError('card declined');
    }), (c) => c.stop());
    await consumer.start();
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());

    const tracer = trace.getTracer('checkout-service');
    await tracer.startActiveSpan('checkout', async (span) => {
      await producer.publish(stream, { order: 1 }, { headers: { tenant: 't1' } });
      span.end();
    });
    await waitFor(() => seen.length === 1, { what: 'the handler' });

    const checkout = await spanNamed('checkout');
    const send = await spanNamed(`send ${stream}`);
    const processSpan = await spanNamed(`process ${stream}`);
    const traceId = checkout.spanContext().traceId;

    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.spanContext().traceId).toBe(traceId);
    expect(parentOf(send)).toBe(checkout.spanContext().spanId);
    expect(send.attributes).toMatchObject({ 'messaging.destination.name': 'rs:{trace.orders}', 'redstream.entry_id': seen[0].message.entryId });

    // The wire carries the producer span's context; the user's own headers are kept.
    expect(seen[0].message.headers).toMatchObject({ tenant: 't1', traceparent: `00-${traceId}-${send.spanContext().spanId}-01` });

    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(processSpan.spanContext().traceId).toBe(traceId);
    expect(parentOf(processSpan)).toBe(send.spanContext().spanId);
    expect(processSpan.attributes).toMatchObject({ 'messaging.consumer.group.name': 'billing', 'redstream.delivery_count': 1 });
    expect(processSpan.status.code).not.toBe(SpanStatusCode.ERROR);
    // The handler ran inside the consumer span.
    expect(seen[0].active).toMatchObject({ traceId, spanId: processSpan.spanContext().spanId });

    // No active span at publish: the producer starts the trace, the consumer still continues it.
    exporter.reset();
    await producer.publish(stream, { fail: true });
    await waitFor(() => seen.length === 2, { what: 'the failing handler' });
    const failedSend = await spanNamed(`send ${stream}`);
    const failedProcess = await spanNamed(`process ${stream}`);
    expect(parentOf(failedSend)).toBeUndefined();
    expect(failedProcess.spanContext().traceId).toBe(failedSend.spanContext().traceId);
    expect(failedProcess.status).toEqual({ code: SpanStatusCode.ERROR, message: 'card declined' });
    expect(failedProcess.events.map((e) => e.name)).toContain('exception');

    await consumer.stop();
    await producer.close();
  });

  it('names its spans and attributes after the OpenTelemetry messaging semantic conventions, with the conversation id of a request', async () => {
    const stream = 'trace.quotes';
    const seen: ReceivedMessage[] = [];
    const consumer = new StreamConsumer({ url: env.redis.url, group: 'pricing', logger: quietLogger }).subscribe(stream, (message) => {
      seen.push(message);
    });
    await consumer.start();
    const producer = await StreamProducer.connect({ url: env.redis.url });
    exporter.reset();

    const request = await producer.publish(stream, { sku: 'A-1' }, { replyTo: 'rs:{reply.client-1}', correlationId: 'c-42' });
    const event = await producer.publish(stream, { sku: 'B-2' }, { idempotencyKey: 'order-7' });
    await waitFor(() => seen.length === 2, { what: 'both messages' });
    await waitFor(() => exporter.getFinishedSpans().filter((s) => s.name === `process ${stream}`).length === 2, { what: 'both process spans' });
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === `send ${stream}`);
    const processes = spans.filter((s) => s.name === `process ${stream}`);
    const [requestMessage, eventMessage] = seen;

    expect(sends.map((s) => s.attributes)).toEqual([
      {
        'messaging.system': 'redis',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': 'rs:{trace.quotes}',
        'messaging.message.id': requestMessage.messageId,
        'messaging.message.conversation_id': 'c-42',
        'redstream.entry_id': request.entryId,
      },
      {
        'messaging.system': 'redis',
        'messaging.operation.type': 'send',
        'messaging.operation.name': 'send',
        'messaging.destination.name': 'rs:{trace.quotes}',
        'messaging.message.id': 'order-7',
        'redstream.entry_id': event.entryId,
      },
    ]);
    const byEntry = (entryId: string) => processes.find((s) => s.attributes['redstream.entry_id'] === entryId)!.attributes;
    expect(byEntry(requestMessage.entryId)).toEqual({
      'messaging.system': 'redis',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'rs:{trace.quotes}',
      'messaging.consumer.group.name': 'pricing',
      'messaging.message.id': requestMessage.messageId,
      'messaging.message.conversation_id': 'c-42',
      'redstream.entry_id': requestMessage.entryId,
      'redstream.delivery_count': 1,
    });
    expect(byEntry(eventMessage.entryId)).toEqual({
      'messaging.system': 'redis',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'rs:{trace.quotes}',
      'messaging.consumer.group.name': 'pricing',
      'messaging.message.id': 'order-7',
      'redstream.entry_id': eventMessage.entryId,
      'redstream.delivery_count': 1,
    });
    // The id on the send span is the one the consumer reads from the entry, not a second one.
    expect(requestMessage.messageId).toMatch(/^[0-9a-f-]{36}$/);

    await consumer.stop();
    await producer.close();
  });

  it('stays off with tracing: false even though the API is installed', async () => {
    const stream = 'trace.off';
    const seen: ReceivedMessage[] = [];
    const consumer = stopAfterEach(new StreamConsumer({ url: env.redis.url, group: 'g', logger: quietLogger, tracing: false }).subscribe(stream, (message) => {
      seen.push(message);
    }), (c) => c.stop());
    await consumer.start();
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url, tracing: false }), (p) => p.close());
    exporter.reset();
    await trace.getTracer('t').startActiveSpan('outer', async (span) => {
      await producer.publish(stream, { n: 1 });
      span.end();
    });
    await waitFor(() => seen.length === 1, { what: 'the handler' });
    expect(seen[0].headers.traceparent).toBeUndefined();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['outer']);
    await consumer.stop();
    await producer.close();
  });
  it('runs a batch handler in one consumer span for the batch, linked to each message\'s producer span', async () => {
    const stream = 'trace.batch';
    const batches: { size: number; active: SpanContext | undefined }[] = [];
    const consumer = stopAfterEach(
      new StreamConsumer({ url: env.redis.url, group: 'billing', logger: quietLogger }).subscribe(
        stream,
        (messages) => void batches.push({ size: messages.length, active: trace.getActiveSpan()?.spanContext() }),
        { batch: { maxSize: 10, maxWaitMs: 100 } },
      ),
      (c) => c.stop(),
    );
    await consumer.start();
    const producer = stopAfterEach(await StreamProducer.connect({ url: env.redis.url }), (p) => p.close());
    exporter.reset();
    await Promise.all([1, 2, 3].map((n) => producer.publish(stream, { n })));
    await waitFor(() => batches.length === 1, { what: 'the batch' });
    const sends = exporter.getFinishedSpans().filter((s) => s.name === `send ${stream}`);
    const processSpan = await spanNamed(`process ${stream}`);
    expect(batches[0].size).toBe(3);
    expect(processSpan.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(processSpan)).toBeUndefined();
    expect(processSpan.attributes).toMatchObject({ 'messaging.batch.message_count': 3, 'messaging.consumer.group.name': 'billing' });
    expect(processSpan.links.map((l) => l.context.spanId).sort()).toEqual(sends.map((s) => s.spanContext().spanId).sort());
    expect(batches[0].active?.spanId).toBe(processSpan.spanContext().spanId);
  });
});
