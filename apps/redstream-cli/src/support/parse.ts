/**
 * Parsers for option and argument values; each throws commander's InvalidArgumentError so
 * that commander reports which option got which bad value and the CLI exits with 2.
 */
import { PRIORITY_LEVELS, streamNameForArgument, type PriorityLevel } from '@redstream/core';
import { InvalidArgumentError } from 'commander';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/;
const ENTRY_ID = /^\d+(-\d+)?$/;

/** `500ms`, `30s`, `5m`, `1h30m`, `2d`; a bare integer is milliseconds. */
export function parseDuration(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  let rest = text.trim();
  let total = 0;
  if (rest.length === 0) throw invalidDuration(text);
  while (rest.length > 0) {
    const match = DURATION.exec(rest);
    if (!match) throw invalidDuration(text);
    total += Number(match[1]) * DURATION_UNITS[match[2]];
    rest = rest.slice(match[0].length);
  }
  return Math.round(total);
}

function invalidDuration(text: string): InvalidArgumentError {
  return new InvalidArgumentError(`"${text}" is not a duration; use e.g. 500ms, 30s, 5m, 1h30m or 2d.`);
}

export function parsePositiveInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`"${text}" is not a positive integer.`);
  }
  return value;
}

export function parseNonNegativeInteger(text: string): number {
  return text === '0' ? 0 : parsePositiveInteger(text);
}

/** A stream entry id as Redis prints it (`1700000000000-0`, or `1700000000000` for `-0`). */
export function parseEntryId(text: string): string {
  if (!ENTRY_ID.test(text)) throw new InvalidArgumentError(`"${text}" is not a stream entry id; ids look like 1700000000000-0.`);
  return text;
}

/** For variadic `<ids...>` arguments: commander passes each value with the list so far. */
export function collectEntryIds(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), parseEntryId(text)];
}

/** Orders two entry ids numerically (ids compare as `ms` then `seq`, not as strings); the core's one comparison. */
export { compareEntryIds } from '@redstream/core';

/** What every `<stream>` argument says of itself in `--help`. */
export const STREAM_ARGUMENT =
  'stream name (e.g. orders.created), or a Nest pattern mapped as the transport maps it: \'{"cmd":"sum"}\' → cmd=sum';

/** A `<stream>` argument: a stream name as it is, or a Nest pattern (string or JSON object) mapped to its stream. */
export function parseStream(text: string): string {
  if (text.length === 0) throw new InvalidArgumentError('a stream name or pattern must not be empty.');
  return streamNameForArgument(text);
}

/** A priority level: `high`, `normal` or `low`. */
export function parsePriority(value: string): PriorityLevel {
  if (!(PRIORITY_LEVELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${PRIORITY_LEVELS.join(', ')}, got "${value}"`);
  return value as PriorityLevel;
}
