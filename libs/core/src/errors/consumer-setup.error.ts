import { RedstreamError } from './redstream.error.js';

/** The consumer was set up in the wrong order (subscribe after start, start without a handler) or twice for one stream. */
export class ConsumerSetupError extends RedstreamError {
  constructor(code: 'ERR_STARTED' | 'ERR_DUPLICATE_HANDLER' | 'ERR_NO_HANDLERS', message: string) {
    super(code, message);
  }
}
