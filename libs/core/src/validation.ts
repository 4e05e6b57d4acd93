import { InvalidOptionError } from './errors/index.js';
import { redactCredentials } from './redact.js';

/** Small checks shared by option validators; each throws InvalidOptionError naming the option. */

/** Logical stream and group names: no whitespace, no braces (braces would break the `{name}` hash tag). */
export const NAME_PATTERN = /^[^\s{}]+$/;
export const NAME_HINT = 'a non-empty string without spaces or braces';
/** Key prefixes: as names, and no colon either (the prefix ends at the first colon of every key). */
export const PREFIX_PATTERN = /^[^\s{}:]+$/;
export const PREFIX_HINT = 'a non-empty string without spaces, braces or colons';

/** The one check of a key prefix (`prefix` option, CLI `--prefix`). */
export function validatePrefix(prefix: unknown, option = 'prefix'): string {
  return requireNonEmptyString(option, prefix, PREFIX_PATTERN, PREFIX_HINT);
}
export function requireInteger(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer between ${min} and ${max}`;
    throw new InvalidOptionError(option, value, range);
  }
  return value;
}

export function requireNonEmptyString(option: string, value: unknown, pattern?: RegExp, patternHint?: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(option, value, 'a non-empty string');
  }
  if (pattern && !pattern.test(value)) {
    throw new InvalidOptionError(option, value, patternHint ?? `a string matching ${pattern}`);
  }
  return value;
}

export function requireOneOf<T extends string>(option: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(option, value, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  return value as T;
}

export function requireBoolean(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(option, value, 'true or false');
  return value;
}

export function requireObject(option: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, value, 'an object');
  }
  return value as Record<string, unknown>;
}

/** Rejects keys the caller did not expect, so that a typo such as `maxDelivery` is not silently ignored. */
export function rejectUnknownKeys(option: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key) && value[key] !== undefined) {
      const path = option ? `${option}.${key}` : key;
      throw new InvalidOptionError(path, value[key], `no such option; known options are ${known.join(', ')}`);
    }
  }
}

/**
 * The prefix of reply streams (`rs:{reply.<clientId>}`). A stream of that name would share
 * its key with a requester's reply stream, which workers trim and give a TTL.
 */
export const REPLY_NAMESPACE = 'reply.';

/**
 * The one check of a logical stream name, for the consumer, the producer and the CLI.
 * It goes inside the `{name}` hash tag of every key of the stream,
 * so no spaces or braces; `#` is reserved for partitions (`{name#i}`) and `reply.` for
 * reply streams (DESIGN.md, Wave 2).
 */
/** validateStreamName's rule, as a test. */
export function isValidStreamName(stream: unknown): stream is string {
  return typeof stream === 'string' && /^[^\s{}#]+$/.test(stream) && !stream.startsWith(REPLY_NAMESPACE);
}

export function validateStreamName(stream: unknown, option = 'stream'): string {
  if (typeof stream !== 'string' || !/^[^\s{}#]+$/.test(stream)) {
    throw new InvalidOptionError(option, stream, 'a non-empty stream name without spaces, braces or "#" ("#" is reserved for partitions)');
  }
  if (stream.startsWith(REPLY_NAMESPACE)) {
    throw new InvalidOptionError(option, stream, `a stream name not starting with "${REPLY_NAMESPACE}" (reserved for request-response reply streams)`);
  }
  return stream;
}

/**
 * A consumer group name. It is a segment of the completion-mark keys (the buckets
 * `...:completed:<group>:<bucketStartMs>`, and 0.1's `...:done:<group>:<key>` that
 * `dedupe.legacyMarks` reads), so a `:` would let `billing` + key `eu:42` and
 * `billing:eu` + key `42` share one mark and the second group skip its message.
 */
export function validateGroupName(group: unknown, option = 'group'): string {
  if (typeof group !== 'string' || !/^[^\s{}:]+$/.test(group)) {
    throw new InvalidOptionError(option, group, 'a non-empty group name without spaces, braces or ":" (":" separates the parts of its dedupe keys)');
  }
  return group;
}

/** A `redis://` or `rediss://` URL that parses; the error shows it with the password masked. */
export function requireRedisUrl(option: string, value: unknown): string {
  const url = requireNonEmptyString(option, value);
  if (!/^rediss?:\/\//.test(url)) throw new InvalidOptionError(option, redactCredentials(url), 'a URL starting with redis:// or rediss://');
  try {
    new URL(url);
  } catch {
    throw new InvalidOptionError(option, redactCredentials(url), 'a valid URL: redis[s]://[[user]:password@]host[:port][/db] (characters such as @ : / in the password percent-encoded)');
  }
  return url;
}
