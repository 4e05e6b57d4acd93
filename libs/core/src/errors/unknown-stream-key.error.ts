import { RedstreamError } from './redstream.error.js';

/**
 * A read returned entries of a stream key no handler subscribed to (a reader was set up
 * with keys of another prefix or consumer). Internal: reported as a read error.
 */
export class UnknownStreamKeyError extends RedstreamError {
  constructor(readonly key: string) {
    super('ERR_UNKNOWN_STREAM_KEY', `XREADGROUP returned entries of unexpected stream ${key}`);
  }
}
