import { RedstreamError } from './redstream.error.js';

/**
 * A message is larger than `maxPayloadBytes` (all its field names and values, UTF-8): the
 * producer refuses it before it reaches Redis; a consumer dead-letters such an entry with
 * reason `too-large` without parsing it.
 */
export class PayloadTooLargeError extends RedstreamError {
  constructor(
    readonly stream: string,
    readonly bytes: number,
    readonly maxPayloadBytes: number,
    entryId?: string,
  ) {
    const what = entryId === undefined ? `A message for stream "${stream}"` : `Stream entry ${entryId} of "${stream}"`;
    super(
      'ERR_PAYLOAD_TOO_LARGE',
      `${what} is ${bytes} bytes, more than maxPayloadBytes (${maxPayloadBytes}). ` +
        'Store large payloads elsewhere (object storage) and send a reference, or raise maxPayloadBytes on the producers and the workers alike.',
    );
  }
}
