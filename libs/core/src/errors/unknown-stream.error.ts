import { RedstreamError } from './redstream.error.js';

/** An admin query named a stream whose key does not exist. */
export class UnknownStreamError extends RedstreamError {
  constructor(
    readonly stream: string,
    readonly key: string,
  ) {
    super('ERR_UNKNOWN_STREAM', `Stream "${stream}" does not exist (no key ${key}); check the name and --prefix.`);
  }
}
