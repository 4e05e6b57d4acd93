import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server, Transport } from '@nestjs/microservices';
import { ConsumerSetupError, StreamConsumer, type BatchOptions, type Scheduler, type ConnectionStatus, type HandlerOptions, type ReceivedMessage } from '@redstream/core';
import { isObservable, lastValueFrom, type Observable } from 'rxjs';
import { captureHandlerErrors } from './handler-error-capture.js';
import { runWithProcessingHooks } from './nest-compat.js';
import { RedisStreamBatchContext } from './redis-streams-batch.context.js';
import { RedisStreamContext } from './redis-streams.context.js';
import { splitOptions, streamForPattern, type PatternToStream, type RedisStreamsServerOptions } from './redis-streams.options.js';
import { RequestResponder } from './request-responder.js';
import { runSchedules } from './run-schedules.js';

type StreamsServerEvents = {
  status: (status: ConnectionStatus) => void;
  error: (error: Error) => void;
};

/**
 * This transport's id: processing hooks receive it, and `@EventPattern(pattern, REDIS_STREAMS_TRANSPORT)`
 * binds a handler to it alone in a hybrid app. `Symbol.for`, so that two copies of the package agree.
 */
export const REDIS_STREAMS_TRANSPORT: symbol = Symbol.for('@redstream/nestjs:transport');

/**
 * NestJS transport strategy over Redis Streams consumer groups. Thin glue: the consumer
 * of @redstream/core does the Redis work; this class resolves each pattern's handler
 * once at listen time, awaits it (so the ack follows success and failures reach the
 * retry path) and answers @MessagePattern requests on the requester's reply stream.
 */
export class RedisStreamsServer extends Server<StreamsServerEvents, ConnectionStatus> implements CustomTransportStrategy {
  readonly consumer: StreamConsumer;
  /** Handler errors travel to the consumer (retries, dead letters), as with Nest's Kafka transport. */
  override readonly propagatesEventHandlerErrors = true;
  private readonly streams: PatternToStream | undefined;
  private readonly responder: RequestResponder;
  private readonly nestLogger = new Logger(RedisStreamsServer.name);
  private readonly schedules: RedisStreamsServerOptions['schedules'];
  private scheduler: Scheduler | undefined;

  constructor(options: RedisStreamsServerOptions) {
    super();
    const [{ schedules, ...consumerOptions }, streams] = splitOptions(options);
    this.schedules = schedules;
    this.streams = streams;
    this.transportId = REDIS_STREAMS_TRANSPORT;
    this.consumer = new StreamConsumer({
      ...consumerOptions,
      logger: consumerOptions.logger ?? {
        log: (message) => this.nestLogger.log(message),
        warn: (message) => this.nestLogger.warn(message),
        error: (message, stack) => this.nestLogger.error(message, stack),
      },
    });
    this.responder = new RequestResponder(this.consumer, (error) => this.replyError(error));
    captureHandlerErrors();
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      for (const [pattern, handler] of this.getHandlers()) {
        const stream = streamForPattern(pattern, this.streams);
        const extras = handler.extras as HandlerOptions | undefined;
        if (extras?.batch !== undefined) {
          this.consumer.subscribe(stream, this.batchHandler(pattern, handler), extras as HandlerOptions & { batch: BatchOptions });
          continue;
        }
        const run = handler.isEventHandler ? this.eventHandler(handler) : this.requestHandler(handler);
        this.consumer.subscribe(stream, this.withProcessingHooks(run), extras);
      }
    } catch (error) {
      callback(error);
      return;
    }
    this.consumer.on('status', (status: ConnectionStatus) => this._status$.next(status));
    this.consumer.start().then(
      () => {
        this.startScheduler();
        callback();
      },
      (error) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.scheduler?.stop();
    // Open reply streams end first, while the connection they write on is still up.
    await this.responder.close();
    await this.consumer.stop();
  }

  /** `schedules: true`: the stored schedules run beside the consumer, on its connection. */
  private startScheduler(): void {
    const { prefix, serializer, logger } = this.consumer.options;
    this.scheduler = runSchedules(this.consumer.connection, this.schedules, { prefix, serializer, logger });
  }

  on<K extends keyof StreamsServerEvents>(event: K, callback: StreamsServerEvents[K]): void {
    if (event === 'error') this.consumer.on('consumer-error', callback);
    else this.consumer.on(event, callback);
  }

  unwrap<T>(): T {
    return this.consumer as T;
  }

  /**
   * What a requester learns of a failed request: an RpcException's payload as Nest sends it;
   * any other error (it arrives unmasked with RedisStreamsExceptionFilter) is logged here and
   * answered with Nest's "Internal server error", as every Nest transport does.
   */
  private replyError(error: unknown): { message: string; [key: string]: unknown } {
    if (!(error instanceof Error)) return serializeRpcError(error);
    this.nestLogger.error(error.message, error.stack);
    return { status: 'error', message: 'Internal server error' };
  }

  override setOnProcessingStartHook(hook: (transportId: Transport | symbol, context: unknown, done: () => Promise<unknown>) => void): void {
    this.processingHooksSet = true;
    super.setOnProcessingStartHook(hook);
  }

  override setOnProcessingEndHook(hook: (transportId: Transport | symbol, context: unknown) => void): void {
    this.processingHooksSet = true;
    super.setOnProcessingEndHook(hook);
  }
  private processingHooksSet = false;

  /**
   * Nest's processing hooks (setOnProcessingStartHook / setOnProcessingEndHook, used by
   * instrumentation to open and close a span or a context around each message) run
   * around every entry, as with Nest's own transports; without hooks nothing is added.
   */
  private withProcessingHooks(run: (message: ReceivedMessage, context: RedisStreamContext) => Promise<void>) {
    return (message: ReceivedMessage): Promise<void> => {
      const context = new RedisStreamContext(message);
      if (!this.processingHooksSet) return run(message, context);
      return this.betweenProcessingHooks(context, () => run(message, context));
    };
  }

  private betweenProcessingHooks<T>(context: RedisStreamContext | RedisStreamBatchContext, run: () => Promise<T>): Promise<T> {
    // The entry's outcome is the handler's, passed on here and never through the promise
    // `done` returns: a start hook that ignores that promise must not leave an unhandled
    // rejection. A start hook that throws fails the entry (it is retried).
    return new Promise<T>((resolve, reject) => {
      try {
        const started: unknown = runWithProcessingHooks(this, context, (runEndHook) => {
          const outcome = run();
          outcome.then(resolve, reject);
          return outcome.then(runEndHook, runEndHook);
        });
        Promise.resolve(started).catch(reject);
      } catch (error) {
        reject(error);
      }
    });
  }

  /**
   * `@EventPattern(pattern, { batch })`: the handler gets the payloads of a batch and a
   * RedisStreamBatchContext. What it returns (or the last value of its Observable) reaches the
   * consumer, so a returned BatchFailure retries the messages it names; the processing hooks
   * run once around the batch.
   */
  private batchHandler(pattern: string, handler: MessageHandler) {
    if (!handler.isEventHandler) {
      throw new ConsumerSetupError('ERR_BATCH_HANDLER', `"${pattern}": batch applies to @EventPattern handlers only; a @MessagePattern request gets one reply per message.`);
    }
    return (messages: readonly ReceivedMessage[]): Promise<unknown> => {
      const context = new RedisStreamBatchContext(messages);
      const run = () =>
        Promise.resolve(handler(messages.map((message) => message.data), context)).then(
          (result) => (isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }).catch((error: unknown) => Promise.reject(this.realError(error, context))) : result),
          (error: unknown) => {
            throw this.realError(error, context);
          },
        );
      return this.processingHooksSet ? this.betweenProcessingHooks(context, run) : run();
    };
  }

  /**
   * Calls the pattern's handler; a failure fails the entry. With several handlers on one
   * pattern Nest chains them itself (the first calls the next and joins their results), so
   * only the first is called here: each runs once per delivery.
   */
  private eventHandler(handler: MessageHandler) {
    // One promise reaction per message on top of Nest's own chain: this is the hot path.
    return (message: ReceivedMessage, context: RedisStreamContext): Promise<void> =>
      Promise.resolve(handler(message.data, context)).then(
        (result) => (isObservable(result) ? this.settleObservable(result, context) : undefined),
        (error: unknown) => {
          throw this.realError(error, context);
        },
      );
  }

  /** An event handler may return an Observable (interceptors, rxjs handlers): the entry's outcome is its completion. */
  private settleObservable(result: Observable<unknown>, context: RedisStreamContext | RedisStreamBatchContext): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      result.subscribe({ error: (error: unknown) => reject(this.realError(error, context)), complete: resolve });
    });
  }

  /**
   * The error to retry and dead-letter with: the one the handler threw, noted before Nest's
   * filter masked it (captureHandlerErrors), else what reached the transport. A value that is
   * not an Error (Nest's masked `{ status, message }`, an RpcException's payload) keeps its
   * message; a hint says once how to keep the real error when it could not be captured.
   */
  private realError(error: unknown, context: RedisStreamContext | RedisStreamBatchContext): unknown {
    if (error instanceof Error || typeof error !== 'object' || error === null) return error;
    if (context.failure instanceof Error) return context.failure;
    if (!this.maskedErrorHinted) {
      this.maskedErrorHinted = true;
      this.nestLogger.warn(
        'a handler error reached the transport masked by an exception filter; install ' +
          '`app.useGlobalFilters(new RedisStreamsExceptionFilter())` so UnrecoverableError skips retries and dead letters keep the real error',
      );
    }
    const { message } = error as { message?: unknown };
    return Object.assign(new Error(typeof message === 'string' ? message : JSON.stringify(error)), { payload: error });
  }
  private maskedErrorHinted = false;

  /** A request is answered on its reply stream, value by value for an Observable result. */
  private requestHandler(handler: MessageHandler) {
    return (message: ReceivedMessage, context: RedisStreamContext): Promise<void> =>
      this.responder.answer(message, () => handler(message.data, context));
  }
}

function serializeRpcError(error: unknown): { message: string; [key: string]: unknown } {
  if (typeof error === 'object' && error !== null) return { message: String((error as { message?: unknown }).message ?? 'error'), ...error };
  return { message: String(error) };
}
