import { RedstreamError } from './redstream.error.js';

/** A payload could not be turned into stream fields (circular, BigInt, unsupported type). */
export class SerializationError extends RedstreamError {
  constructor(stream: string, cause: unknown) {
    super(
      'ERR_SERIALIZATION',
      `Cannot serialize the payload for stream "${stream}": ${(cause as Error)?.message ?? String(cause)}. ` +
        'Payloads must be JSON-serializable (no cycles, BigInt or functions) unless a serializer is configured.',
      { cause },
    );
  }
}
