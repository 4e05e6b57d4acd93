import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, MessageHandler, Server, Transport } from '@nestjs/microservices';
import {
  KeyBuilder,
  ReplyWriter,
  StreamConsumer,
  type ConnectionStatus,
  type HandlerOptions,
  type ReceivedMessage,
} from '@redstream/core';
import { isObservable, lastValueFrom } from 'rxjs';
import { RedisStreamContext } from './redis-streams.context.js';
import { splitOptions, streamForPattern, type PatternToStream, type RedisStreamsServerOptions } from './redis-streams.options.js';

type StreamsServerEvents = {
  status: (status: ConnectionStatus) => void;
  error: (error: Error) => void;
};

/**
 * NestJS transport strategy over Redis Streams consumer groups. Thin glue: the consumer
 * of @redstream/core does the Redis work; this class resolves each pattern's handler
 * once at listen time, awaits it (so the ack follows success and failures reach the
 * retry path) and answers @MessagePattern requests on the requester's reply stream.
 */
export class RedisStreamsServer extends Server<StreamsServerEvents, ConnectionStatus> implements CustomTransportStrategy {
  readonly consumer: StreamConsumer;
  private readonly streams: PatternToStream | undefined;
  private replies: ReplyWriter | undefined;
  private readonly nestLogger = new Logger(RedisStreamsServer.name);

  constructor(options: RedisStreamsServerOptions) {
    super();
    const [consumerOptions, streams] = splitOptions(options);
    this.streams = streams;
    this.consumer = new StreamConsumer({
      ...consumerOptions,
      logger: consumerOptions.logger ?? {
        log: (message) => this.nestLogger.log(message),
        warn: (message) => this.nestLogger.warn(message),
        error: (message, stack) => this.nestLogger.error(message, stack),
      },
    });
  }

  listen(callback: (error?: unknown) => void): void {
    try {
      for (const [pattern, handler] of this.getHandlers()) {
        const stream = streamForPattern(pattern, this.streams);
        const run = handler.isEventHandler ? this.eventHandler(handler) : this.requestHandler(handler);
        this.consumer.subscribe(stream, this.withProcessingHooks(run), handler.extras as HandlerOptions | undefined);
      }
    } catch (error) {
      callback(error);
      return;
    }
    this.consumer.on('status', (status: ConnectionStatus) => this._status$.next(status));
    this.consumer.start().then(
      () => callback(),
      (error) => callback(error),
    );
  }

  async close(): Promise<void> {
    await this.consumer.stop();
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
      // The entry's outcome is the handler's, passed on here and never through the promise
      // `done` returns: a start hook that ignores that promise must not leave an unhandled
      // rejection. A start hook that throws fails the entry (it is retried).
      return new Promise<void>((resolve, reject) => {
        try {
          const started: unknown = this.runWithProcessingHooks(context, (runEndHook) => {
            const outcome = run(message, context);
            outcome.then(resolve, reject);
            return outcome.then(runEndHook, runEndHook);
          });
          Promise.resolve(started).catch(reject);
        } catch (error) {
          reject(error);
        }
      });
    };
  }

  /** Runs every handler registered for the pattern in turn; a failure of any fails the entry. */
  private eventHandler(handler: MessageHandler) {
    if (handler.next === undefined) {
      // The common case, kept lean (one promise reaction per message on top of Nest's own).
      const failed = (error: unknown) => {
        throw this.asError(error);
      };
      return (message: ReceivedMessage, context: RedisStreamContext): Promise<void> =>
        Promise.resolve(handler(message.data, context)).then(settleEventResult, failed);
    }
    return async (message: ReceivedMessage, context: RedisStreamContext): Promise<void> => {
      try {
        for (let current: MessageHandler | undefined = handler; current; current = current.next) {
          await settleEventResult(await current(message.data, context));
        }
      } catch (error) {
        throw this.asError(error);
      }
    };
  }

  /**
   * Nest's default exception filter hands over `{ status, message }` instead of the thrown
   * error; keep at least its message for retries and dead letters, and say once how to
   * keep the real error (RedisStreamsExceptionFilter).
   */
  private asError(error: unknown): unknown {
    if (error instanceof Error || typeof error !== 'object' || error === null) return error;
    if (!this.maskedErrorHinted) {
      this.maskedErrorHinted = true;
      this.nestLogger.warn(
        'a handler error reached the transport masked by Nest\'s exception filter; install ' +
          '`app.useGlobalFilters(new RedisStreamsExceptionFilter())` so UnrecoverableError skips retries and dead letters keep the real error',
      );
    }
    const { message } = error as { message?: unknown };
    return Object.assign(new Error(typeof message === 'string' ? message : JSON.stringify(error)), { payload: error });
  }
  private maskedErrorHinted = false;

  /**
   * A request's result (or error) is sent to its reply stream before the entry is acked;
   * a handler error is the requester's answer, not a reason to retry.
   */
  private requestHandler(handler: MessageHandler) {
    return async (message: ReceivedMessage, context: RedisStreamContext): Promise<void> => {
      let reply: { data?: unknown; error?: { message: string } };
      try {
        const result = await handler(message.data, context);
        reply = { data: isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result };
      } catch (error) {
        reply = { error: this.replyError(error) };
      }
      const { replyTo, correlationId } = message;
      if (replyTo === undefined || correlationId === undefined) return;
      // Created on first use: requests can arrive before start() has resolved.
      this.replies ??= new ReplyWriter(this.consumer.connection, new KeyBuilder(this.consumer.options.prefix), this.consumer.options.serializer);
      await this.replies.send(replyTo, { correlationId, ...reply });
    };
  }
}

/** An event handler may return an Observable (interceptors, rxjs handlers): wait for it to complete. */
function settleEventResult(result: unknown): Promise<void> | undefined {
  return isObservable(result) ? lastValueFrom(result, { defaultValue: undefined }).then(() => undefined) : undefined;
}

function serializeRpcError(error: unknown): { message: string; [key: string]: unknown } {
  if (typeof error === 'object' && error !== null) return { message: String((error as { message?: unknown }).message ?? 'error'), ...error };
  return { message: String(error) };
}
