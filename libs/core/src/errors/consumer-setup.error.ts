import { RedstreamError } from './redstream.error.js';

/** The consumer was set up in the wrong order (subscribe after start, start without a handler), twice for one stream, or a batch handler was called as a single one. */
export class ConsumerSetupError extends RedstreamError {
  constructor(code: 'ERR_STARTED' | 'ERR_DUPLICATE_HANDLER' | 'ERR_NO_HANDLERS' | 'ERR_BATCH_HANDLER', message: string) {
    super(code, message);
  }
}
