import { KeyBuilder, ReplyWriter, UnrecoverableError, type ReceivedMessage, type ReplyStream, type StreamConsumer } from '@redstream/core';
import { isObservable, type Subscription } from 'rxjs';

type ReplyError = { message: string; [key: string]: unknown };

interface OpenAnswer {
  readonly stream: ReplyStream;
  subscription: Subscription | undefined;
}

const SHUTDOWN_REPLY: ReplyError = { status: 'error', message: 'The worker shut down before this reply stream completed.' };

/**
 * Answers @MessagePattern requests on the requester's reply stream, as Nest's transports do:
 * a plain result is one reply; an Observable's values are streamed one by one and its completion
 * (or error) ends the answer.
 *
 * The request entry is acknowledged once its first reply is in Redis (the request has been
 * answered; running it again after a crash would send the requester its values twice), so an
 * Observable that keeps emitting holds no handler slot. Answers still open when the worker
 * closes end with an error reply, written before the connection closes.
 */
export class RequestResponder {
  private writer: ReplyWriter | undefined;
  private readonly open = new Set<OpenAnswer>();
  private closing = false;

  constructor(
    private readonly consumer: StreamConsumer,
    private readonly toReplyError: (error: unknown) => ReplyError,
  ) {}

  /** Runs `produce` (the Nest handler) and writes its answer; resolves once the first reply is written. */
  answer(message: ReceivedMessage, produce: () => unknown): Promise<void> {
    const { replyTo, correlationId } = message;
    // An event published to a @MessagePattern stream: run it, nobody waits for an answer.
    if (replyTo === undefined || correlationId === undefined) return Promise.resolve().then(produce).then(() => undefined);
    let stream: ReplyStream;
    try {
      stream = this.replyWriter().open(replyTo, correlationId);
    } catch (error) {
      // A request naming a stream that is no requester's reply stream is bad input: dead-letter it, never run it.
      return Promise.reject(new UnrecoverableError((error as Error).message));
    }
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      const settle = () => {
        if (!answered) {
          answered = true;
          resolve();
        }
      };
      const writeFailed = (error: unknown) => {
        if (!answered) {
          answered = true;
          reject(error);
          return;
        }
        this.consumer.options.logger.error(`reply to request ${correlationId} on ${replyTo} could not be written: ${(error as Error).message}`);
      };
      const end = (written: Promise<void>) => written.then(settle, writeFailed);
      Promise.resolve()
        .then(produce)
        .then(
          (result) => {
            if (!isObservable(result)) return end(stream.single(result));
            const answer: OpenAnswer = { stream, subscription: undefined };
            this.open.add(answer);
            answer.subscription = result.subscribe({
              next: (value) => {
                void stream.next(value).then(() => {
                  if (this.closing) return end(this.endForShutdown(answer));
                  settle();
                }, writeFailed);
              },
              error: (error: unknown) => {
                this.open.delete(answer);
                void end(stream.error(this.toReplyError(error)));
              },
              complete: () => {
                this.open.delete(answer);
                void end(stream.complete());
              },
            });
            if (stream.ended) this.open.delete(answer);
          },
          (error: unknown) => end(stream.error(this.toReplyError(error))),
        );
    });
  }

  /**
   * Ends every open answer with an error reply; answers that open from now on end after their
   * first value. Bounded: with Redis unreachable the replies wait in the offline queue, and the
   * requesters time out by themselves.
   */
  async close(timeoutMs = 2_000): Promise<void> {
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.open].map((answer) => this.endForShutdown(answer).catch(() => undefined))),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private endForShutdown(answer: OpenAnswer): Promise<void> {
    this.open.delete(answer);
    answer.subscription?.unsubscribe();
    return answer.stream.error(SHUTDOWN_REPLY);
  }

  /** Created on first use: requests can arrive before start() has resolved. */
  private replyWriter(): ReplyWriter {
    const { connection, options } = this.consumer;
    this.writer ??= new ReplyWriter(connection, new KeyBuilder(options.prefix), options.serializer);
    return this.writer;
  }
}
