/**
 * Request-response over streams. A requester owns a reply stream (`rs:{reply.<clientId>}`);
 * a request entry carries `replyTo` (that key) and `correlationId`. The worker answers with
 * one or more reply entries, in order:
 *
 *   correlationId   the request's
 *   ts              ms since epoch
 *   data            one value of the answer (serialized); absent on a bare completion
 *   err             JSON error; always the last entry of an answer
 *   disposed        '1' on the last entry of an answer, '0' on the values before it
 *
 * A plain result is one entry (`data`, `disposed` 1); an Observable result streams one entry
 * per value and ends with `disposed` 1 (on its last value, or alone), as Nest's own transports
 * do (`isDisposed`). Entries without `disposed` (single replies of earlier versions) are final.
 * Reply streams are capped and expire, so a requester that dies leaves nothing behind for long.
 */
import { RedstreamError } from '../errors/index.js';

export interface Reply {
  correlationId: string;
  data?: unknown;
  error?: { message: string; [key: string]: unknown };
  /** True on the last reply of an answer. */
  final: boolean;
}

export class RequestTimeoutError extends RedstreamError {
  constructor(stream: string, timeoutMs: number) {
    super('ERR_REQUEST_TIMEOUT', `No reply to the request on stream "${stream}" within ${timeoutMs} ms (is a worker with a @MessagePattern handler for it running?).`);
  }
}

export { ReplyWriter, type ReplyStream } from './reply-writer.js';
export { ReplyListener } from './reply-listener.js';
