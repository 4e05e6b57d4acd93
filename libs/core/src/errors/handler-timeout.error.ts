import { RedstreamError } from './redstream.error.js';

/** A handler ran longer than its `timeoutMs`. */
export class HandlerTimeoutError extends RedstreamError {
  constructor(stream: string, entryId: string, timeoutMs: number) {
    super('ERR_HANDLER_TIMEOUT', `Handler for stream "${stream}" entry ${entryId} did not finish within ${timeoutMs} ms.`);
  }
}
