import { RedstreamError } from './redstream.error.js';

/** An admin query named a consumer group the stream does not have. */
export class UnknownGroupError extends RedstreamError {
  constructor(
    readonly stream: string,
    readonly group: string,
    readonly existing: readonly string[],
  ) {
    const known = existing.length === 0 ? 'it has no groups' : `its groups are ${existing.map((g) => `"${g}"`).join(', ')}`;
    super('ERR_UNKNOWN_GROUP', `Consumer group "${group}" does not exist on stream "${stream}"; ${known}.`);
  }
}
