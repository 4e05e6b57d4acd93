import { RedstreamError } from './redstream.error.js';

/**
 * The partition count of a stream cannot be what was asked: the option `partitions`
 * disagrees with the count stored in Redis (`ERR_PARTITIONS_MISMATCH`), or a smaller count
 * was asked for than the stored one (`ERR_PARTITIONS_SHRINK`: entries of the dropped
 * partitions would be stranded).
 */
export class PartitionCountError extends RedstreamError {
  constructor(
    code: 'ERR_PARTITIONS_MISMATCH' | 'ERR_PARTITIONS_SHRINK',
    readonly stream: string,
    readonly requested: number,
    readonly stored: number,
  ) {
    super(code, code === 'ERR_PARTITIONS_MISMATCH' ? mismatch(stream, requested, stored) : shrink(stream, requested, stored));
  }
}

function mismatch(stream: string, requested: number, stored: number): string {
  return (
    `Option partitions["${stream}"] is ${requested}, but Redis stores ${stored} partitions for "${stream}"; ` +
    `set the option to ${stored}, remove it to use the stored count, or grow the stream with \`redstream partitions ${stream} ${requested}\` (only upwards).`
  );
}

function shrink(stream: string, requested: number, stored: number): string {
  return (
    `Stream "${stream}" has ${stored} partitions; ${requested} would drop partitions and strand their entries, so shrinking is refused. ` +
    `Ask for ${stored} or more.`
  );
}
