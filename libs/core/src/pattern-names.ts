/**
 * How a Nest pattern becomes a stream name when the user maps nothing: the same function
 * on the producer, the worker and the CLI, so that all three find the same stream.
 *
 * - A string pattern keeps its characters, except that those a stream name cannot hold
 *   (whitespace, braces, `#`, quotes, non-ASCII, …) and the characters this mapping uses itself
 *   (`%`, `=`, `,`) are percent-encoded as in a URL: `orders created` → `orders%20created`.
 * - An object pattern (`{ cmd: 'sum' }`) becomes `key=value` pairs in Nest's key order
 *   (sorted), joined by `,`: `cmd=sum`, `cmd=sum,version=2`. Keys and string values are
 *   encoded as above; a value that is not a string is written as JSON (`version=2`, `on=true`),
 *   and a string that reads as a JSON number, boolean or null is written quoted (`v=%222%22` for
 *   `'2'`), so `{ v: 2 }` and `{ v: '2' }` stay apart.
 * - A name that would start with the reserved reply namespace `reply.` has its dot encoded.
 *
 * The result is injective: a string pattern never yields a raw `=`, an object always does.
 */
import { isValidStreamName } from './validation.js';

const SAFE = /^[A-Za-z0-9\-._~:/@!$&'()*+;?^|[\]<>]$/;
const JSON_LITERAL = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;
const RESERVED_REPLY = 'reply.';

/** The stream of a pattern: a Nest route string (what `normalizePattern` returns) or the pattern object itself. */
export function streamNameForPattern(pattern: unknown): string {
  const object = asPatternObject(pattern);
  const name = object ? objectName(object) : encodeName(String(pattern));
  return name.startsWith(RESERVED_REPLY) ? `reply%2E${name.slice(RESERVED_REPLY.length)}` : name;
}

/**
 * What a CLI argument names: a JSON object is an object pattern; a string that is already a
 * valid stream name is that stream (so the mapped name works too); anything else is a string
 * pattern and is mapped.
 */
export function streamNameForArgument(argument: string): string {
  if (asPatternObject(argument)) return streamNameForPattern(argument);
  if (isValidStreamName(argument)) return argument;
  return streamNameForPattern(argument);
}

function asPatternObject(pattern: unknown): Record<string, unknown> | undefined {
  if (typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern)) return nonEmpty(pattern as Record<string, unknown>);
  if (typeof pattern !== 'string' || !pattern.startsWith('{') || !pattern.endsWith('}')) return undefined;
  try {
    const parsed: unknown = JSON.parse(pattern);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return nonEmpty(parsed as Record<string, unknown>);
  } catch {
    // Not JSON: a string pattern that happens to start and end with braces.
  }
  return undefined;
}

function nonEmpty(object: Record<string, unknown>): Record<string, unknown> | undefined {
  return Object.keys(object).length > 0 ? object : undefined;
}

function objectName(object: Record<string, unknown>): string {
  // Nest's route sorts keys this way; sorting again makes a pattern object and its route agree.
  const keys = Object.keys(object).sort((a, b) => a.localeCompare(b));
  return keys.map((key) => `${encodeName(key)}=${encodeValue(object[key])}`).join(',');
}

function encodeValue(value: unknown): string {
  if (typeof value === 'string') return encodeName(JSON_LITERAL.test(value) || value === '' ? JSON.stringify(value) : value);
  return encodeName(JSON.stringify(value) ?? String(value));
}

function encodeName(text: string): string {
  if (text === '') return '%22%22';
  let out = '';
  for (const char of text) out += SAFE.test(char) ? char : percentEncode(char);
  return out;
}

function percentEncode(char: string): string {
  return Array.from(new TextEncoder().encode(char), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
