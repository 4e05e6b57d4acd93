import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import {
  RedstreamError,
  ReplyListener,
  getJobStatus,
  removeSchedule,
  saveSchedule,
  type Scheduler,
  RequestTimeoutError,
  StreamProducer,
  resolveProducerOptions,
  type ConnectionStatus,
  type GroupJobStatus,
  type LifecycleEvent,
  type ScheduleInfo,
  type ScheduleOptions,
  type PublishOptions,
  type Reply,
} from '@redstream/core';
import { Observable } from 'rxjs';
import { createPacket } from './nest-compat.js';
import { runSchedules } from './run-schedules.js';
import { lifecycleEvents, watchJob, type JobWatchEvent } from './lifecycle-observables.js';
import { RedisStreamRecord } from './redis-streams-record.builder.js';
import { splitOptions, streamForPattern, type PatternToStream, type RedisStreamsClientOptions } from './redis-streams.options.js';

/**
 * ClientProxy over Redis Streams: `emit` XADDs and its Observable emits the entry id (the
 * first id again for a repeated idempotency key); `send` publishes a request and streams the
 * replies from this client's reply stream until the handler's answer is complete, failing with
 * RequestTimeoutError when no reply arrives for `requestTimeoutMs`.
 */
export class RedisStreamsClient extends ClientProxy<Record<never, Function>, ConnectionStatus> {
  private producer: StreamProducer | undefined;
  private connecting: Promise<StreamProducer> | undefined;
  private replies: Promise<ReplyListener> | undefined;
  private readonly streams: PatternToStream | undefined;
  private readonly options: Omit<RedisStreamsClientOptions, 'schedules'>;
  private readonly requestTimeoutMs: number;
  private readonly schedules: RedisStreamsClientOptions['schedules'];
  private scheduler: Scheduler | undefined;

  constructor(options: RedisStreamsClientOptions = {}) {
    super();
    const [{ schedules, ...producerOptions }, streams] = splitOptions(options);
    this.schedules = schedules;
    // Validate now, so a bad option fails where the client is declared.
    this.requestTimeoutMs = resolveProducerOptions(producerOptions).requestTimeoutMs;
    this.options = producerOptions;
    this.streams = streams;
  }

  async connect(): Promise<StreamProducer> {
    if (this.producer) return this.producer;
    if (this.connecting) return this.connecting;
    const attempt: Promise<StreamProducer> = StreamProducer.connect(this.options).then(
      async (producer) => {
        // close() ran while this attempt was connecting: it must not leave a connection behind.
        if (this.connecting !== attempt) {
          await producer.close();
          throw new RedstreamError('ERR_CLIENT_CLOSED', 'RedisStreamsClient was closed while connecting.');
        }
        this.producer = producer;
        this.connecting = undefined;
        const { prefix, serializer, logger } = producer.options;
        this.scheduler = runSchedules(producer.connection, this.schedules, { prefix, serializer, logger });
        producer.connection.on('status', (status: ConnectionStatus) => this._status$.next(status));
        this._status$.next('connected');
        return producer;
      },
      (error) => {
        if (this.connecting === attempt) this.connecting = undefined;
        throw error;
      },
    );
    this.connecting = attempt;
    return attempt;
  }

  async close(): Promise<void> {
    const producer = this.producer;
    const replies = this.replies;
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    await scheduler?.stop();
    this.producer = undefined;
    this.connecting = undefined;
    this.replies = undefined;
    const listener = await replies?.catch(() => undefined);
    await listener?.stop(producer?.connection);
    await producer?.close();
    this._status$.next('disconnected');
  }

  unwrap<T>(): T {
    if (!this.producer) throw new Error('RedisStreamsClient is not connected; call connect() first.');
    return this.producer.connection.unwrap() as T;
  }

  /** The engine's producer, for publishing without Nest's packet wrapping. */
  getProducer(): StreamProducer | undefined {
    return this.producer;
  }

  /** Where one message is, per consumer group; `id` as `getJobStatus` of @redstream/core takes it (README "Job status"). */
  async getStatus(pattern: Parameters<ClientProxy['emit']>[0], id: string): Promise<GroupJobStatus[]> {
    const producer = await this.connect();
    const stream = streamForPattern(this.normalizePattern(pattern), this.streams);
    return (await getJobStatus(producer.connection, producer.keys, stream, id)).groups;
  }

  /** Lifecycle events of one message (the state per group first), completing at its final state in every group (README "Lifecycle events"). */
  watch(pattern: Parameters<ClientProxy['emit']>[0], id: string): Observable<JobWatchEvent> {
    return watchJob(this.connect(), streamForPattern(this.normalizePattern(pattern), this.streams), id);
  }

  /** Every lifecycle event of a stream from now on. */
  events(pattern: Parameters<ClientProxy['emit']>[0]): Observable<LifecycleEvent> {
    return lifecycleEvents(this.connect(), streamForPattern(this.normalizePattern(pattern), this.streams));
  }

  /** Stores a schedule whose ticks publish `data` to `pattern`'s stream; workers with `schedules: true` run it (README "Schedules"). */
  async schedule(name: string, options: Omit<ScheduleOptions, 'stream'> & { pattern: Parameters<ClientProxy['emit']>[0] }): Promise<ScheduleInfo> {
    const producer = await this.connect();
    const { pattern, ...rest } = options;
    return saveSchedule(producer.connection, producer.keys, name, { ...rest, stream: streamForPattern(this.normalizePattern(pattern), this.streams) });
  }

  /** Removes a schedule; false when there was none by that name. */
  async unschedule(name: string): Promise<boolean> {
    const producer = await this.connect();
    return removeSchedule(producer.connection, producer.keys, name);
  }

  /**
   * Publishes at once, like Nest's `emit` (no subscriber needed), and returns an Observable
   * of the entry id. Built on the publish promise instead of Nest's defer/mergeMap/connectable
   * chain, which made an unawaited burst cost about twice the CPU per message.
   */
  override emit<TResult = string, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult> {
    if (pattern === null || pattern === undefined || data === null || data === undefined) return super.emit(pattern, data);
    const published = this.dispatchEvent<TResult>(createPacket(this, pattern, data));
    // Fire-and-forget callers never subscribe: a failure must not become an unhandled rejection.
    published.catch(() => undefined);
    return new Observable<TResult>((subscriber) => {
      published.then(
        (entryId) => {
          subscriber.next(entryId);
          subscriber.complete();
        },
        (error: unknown) => subscriber.error(error),
      );
    });
  }

  protected dispatchEvent<T = string>(packet: ReadPacket): Promise<T> {
    const producer = this.producer;
    if (producer === undefined) return this.connect().then((connected) => this.publishEvent<T>(connected, packet));
    return this.publishEvent<T>(producer, packet);
  }

  /** No async frame of its own: an unawaited burst of emits is the hot path of a producer. */
  private publishEvent<T>(producer: StreamProducer, packet: ReadPacket): Promise<T> {
    let stream: string;
    let unpacked: ReturnType<typeof unpack>;
    try {
      stream = streamForPattern(this.normalizePattern(packet.pattern), this.streams);
      unpacked = unpack(packet);
    } catch (error) {
      return Promise.reject(error);
    }
    return producer.publish(stream, unpacked.data, unpacked.options).then(entryIdOf) as Promise<T>;
  }

  /**
   * Publishes a request and passes every reply to Nest's observer: values as they come, the
   * end of the answer as `isDisposed`. `requestTimeoutMs` bounds the wait for each reply.
   */
  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    let finished = false;
    let forget = () => {};
    let timer: NodeJS.Timeout | undefined;
    let stream = '';
    const finish = (result: WritePacket) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      forget();
      callback({ ...result, isDisposed: true });
    };
    const armTimeout = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish({ err: new RequestTimeoutError(stream, this.requestTimeoutMs) }), this.requestTimeoutMs);
    };
    const onReply = (reply: Reply) => {
      if (finished) return;
      if (reply.error !== undefined) return finish({ err: reply.error });
      if (reply.final) return finish(reply.data === undefined ? {} : { response: reply.data });
      armTimeout();
      callback({ response: reply.data, isDisposed: false });
    };
    armTimeout();
    void (async () => {
      stream = streamForPattern(this.normalizePattern(packet.pattern), this.streams);
      const { data, options } = unpack(packet);
      const producer = await this.connect();
      const replies = await this.replyListener(producer);
      const correlationId = producer.newCorrelationId();
      forget = replies.expect(correlationId, onReply);
      if (finished) return forget();
      await producer.publish(stream, data, { ...options, replyTo: replies.replyTo, correlationId });
    })().catch((error) => finish({ err: error }));
    // Unsubscribing (take(n), a timeout operator) stops listening; Nest ignores anything after it.
    return () => {
      finished = true;
      clearTimeout(timer);
      forget();
    };
  }

  private replyListener(producer: StreamProducer): Promise<ReplyListener> {
    const starting: Promise<ReplyListener> = (this.replies ??= (async () => {
      const reader = await producer.connection.duplicate('redstream-replies');
      if (this.producer !== producer) {
        // close() ran while the reader was connecting.
        await reader.disconnect();
        throw new RedstreamError('ERR_CLIENT_CLOSED', 'RedisStreamsClient was closed while starting its reply listener.');
      }
      const listener = new ReplyListener(reader, producer.keys, producer.options.serializer, producer.options.logger);
      listener.start();
      return listener;
    })());
    // A failed start is not cached: the next request tries again.
    starting.catch(() => {
      if (this.replies === starting) this.replies = undefined;
    });
    return starting;
  }
}

function unpack(packet: ReadPacket): { data: unknown; options: PublishOptions } {
  const { data, metadata } = packet;
  if (data instanceof RedisStreamRecord) return { data: data.data, options: metadata === undefined ? data.options : { ...data.options, metadata } };
  return { data, options: metadata === undefined ? {} : { metadata } };
}

function entryIdOf(result: { entryId: string }): string {
  return result.entryId;
}
