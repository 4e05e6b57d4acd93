import { RedstreamError } from './redstream.error.js';

/**
 * Throw from a handler when retrying cannot help (bad payload, business rule violated):
 * the entry goes straight to the dead-letter stream with reason `unrecoverable`.
 */
export class UnrecoverableError extends RedstreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_UNRECOVERABLE', message, options);
  }
}
