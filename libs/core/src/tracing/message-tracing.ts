/**
 * OpenTelemetry context propagation across the stream: the producer writes the W3C trace
 * context (`traceparent`, `tracestate`) of a PRODUCER span into the entry's `headers`; the
 * consumer continues that trace in a CONSUMER span around the handler.
 *
 * `@opentelemetry/api` is an optional peer dependency. It is imported once, guarded; when
 * it is absent, or present without a registered SDK, nothing is wrapped. The consumer
 * decides at start (register the SDK before starting workers); the producer per publish. Propagation uses
 * the globally registered propagator (the OpenTelemetry Node SDK registers W3C trace
 * context by default); spans come from the global tracer provider. Span names and attributes
 * follow OpenTelemetry's messaging semantic conventions (the names of v1.27 and later):
 * `send <stream>` / `process <stream>`, `messaging.*` attributes, plus `redstream.*` ones.
 */
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Headers } from '../envelope.js';
import type { BatchHandler, HandlerMiddleware, ReceivedMessage } from '../consumer/received-message.js';

type Api = typeof OpenTelemetryApi;
type Span = OpenTelemetryApi.Span;

const TRACER_NAME = '@redstream/core';
/**
 * OpenTelemetry's messaging semantic conventions register no `messaging.system` value for
 * Redis Streams (the registered ones are Kafka, RabbitMQ, SQS, Pub/Sub, …); `redis` names the
 * system as the database conventions do (`db.system.name`), so both show up as the same backend.
 */
const MESSAGING_SYSTEM = 'redis';

let loading: Promise<MessageTracing | undefined> | undefined;

/** Resolves to the tracing hooks when `@opentelemetry/api` can be imported, else undefined. */
export function loadMessageTracing(): Promise<MessageTracing | undefined> {
  loading ??= import('@opentelemetry/api').then(
    (api: Api) => new MessageTracing(api),
    () => undefined,
  );
  return loading;
}

export class MessageTracing {
  private readonly tracer: OpenTelemetryApi.Tracer;
  /** What the global provider delegates to while no SDK is registered. */
  private readonly noopProvider: OpenTelemetryApi.TracerProvider;

  constructor(private readonly api: Api) {
    // A tracer from the global proxy provider follows an SDK registered later on.
    this.tracer = api.trace.getTracer(TRACER_NAME);
    this.noopProvider = new api.ProxyTracerProvider().getDelegate();
  }

  /**
   * True once an SDK has registered a tracer provider. The API alone (prom-client depends
   * on it) records nothing, so then no span is made and no wrapper costs anything.
   */
  get enabled(): boolean {
    return (this.api.trace.getTracerProvider() as OpenTelemetryApi.ProxyTracerProvider).getDelegate() !== this.noopProvider;
  }

  /**
   * Runs `publish` inside a PRODUCER span whose context travels in the headers it is given.
   * Headers the caller set win over injected ones (a caller propagating its own context).
   * `publish` reports the message id once the envelope is encoded (it is made there).
   */
  async send<T extends { entryId: string }>(
    stream: string,
    streamKey: string,
    message: { headers?: Headers; correlationId?: string },
    publish: (headers: Headers, messageIdKnown: (messageId: string) => void) => Promise<T>,
  ): Promise<T> {
    const { headers, correlationId } = message;
    const { context, propagation, trace, SpanKind } = this.api;
    const active = context.active();
    const span = this.tracer.startSpan(
      `send ${stream}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': MESSAGING_SYSTEM,
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'send',
          'messaging.destination.name': streamKey,
          ...(correlationId === undefined ? {} : { 'messaging.message.conversation_id': correlationId }),
        },
      },
      active,
    );
    const carrier: Headers = {};
    propagation.inject(trace.setSpan(active, span), carrier);
    try {
      const result = await publish(headers === undefined ? carrier : { ...carrier, ...headers }, (messageId) =>
        span.setAttribute('messaging.message.id', messageId),
      );
      span.setAttribute('redstream.entry_id', result.entryId);
      return result;
    } catch (error) {
      this.fail(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** A handler middleware that continues the producer's trace in a CONSUMER span. */
  consume(group: string): HandlerMiddleware {
    const { context, propagation, trace, SpanKind, ROOT_CONTEXT } = this.api;
    return (message, next) => {
      // From the root, not the read loop's context: the entry's headers alone say whose trace it is.
      const parent = propagation.extract(ROOT_CONTEXT, message.headers);
      const span = this.tracer.startSpan(
        `process ${message.stream}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': MESSAGING_SYSTEM,
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'process',
            'messaging.destination.name': message.streamKey,
            'messaging.consumer.group.name': group,
            'messaging.message.id': message.messageId,
            ...(message.correlationId === undefined ? {} : { 'messaging.message.conversation_id': message.correlationId }),
            'redstream.entry_id': message.entryId,
            'redstream.delivery_count': message.deliveryCount,
          },
        },
        parent,
      );
      return this.endWhenSettled(span, context.with(trace.setSpan(parent, span), next));
    };
  }

  /**
   * A batch handler inside one CONSUMER span for the batch, as the messaging conventions have
   * it for batches: no parent (the messages come from many traces), a link to each message's
   * producer span, `messaging.batch.message_count`.
   */
  consumeBatch(group: string, handler: BatchHandler): BatchHandler {
    const { context, propagation, trace, SpanKind, ROOT_CONTEXT } = this.api;
    return (messages: readonly ReceivedMessage[]) => {
      const first = messages[0];
      const links: OpenTelemetryApi.Link[] = [];
      for (const message of messages) {
        const linked = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, message.headers));
        if (linked !== undefined) links.push({ context: linked, attributes: { 'messaging.message.id': message.messageId, 'redstream.entry_id': message.entryId } });
      }
      const span = this.tracer.startSpan(
        `process ${first.stream}`,
        {
          kind: SpanKind.CONSUMER,
          links,
          attributes: {
            'messaging.system': MESSAGING_SYSTEM,
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'process',
            'messaging.destination.name': first.streamKey,
            'messaging.consumer.group.name': group,
            'messaging.batch.message_count': messages.length,
          },
        },
        ROOT_CONTEXT,
      );
      return this.endWhenSettled(span, context.with(trace.setSpan(ROOT_CONTEXT, span), async () => handler(messages)));
    };
  }

  /** Ends the span when the handler's run settles, marking it failed on an error (which goes on). */
  private endWhenSettled<T>(span: Span, run: Promise<T>): Promise<T> {
    return run.then(
      (result) => {
        span.end();
        return result;
      },
      (error: unknown) => {
        this.fail(span, error);
        span.end();
        throw error;
      },
    );
  }

  private fail(span: Span, error: unknown): void {
    const exception = error instanceof Error ? error : new Error(String(error));
    span.recordException(exception);
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: exception.message });
  }
}
