import { RedstreamError } from './redstream.error.js';

/** A stream entry does not follow the wire format (missing `data`, invalid JSON, bad headers). */
export class DecodeError extends RedstreamError {
  constructor(
    readonly entryId: string,
    detail: string,
  ) {
    super('ERR_DECODE', `Stream entry ${entryId} cannot be decoded: ${detail}`);
  }
}
