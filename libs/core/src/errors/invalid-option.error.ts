import { redactCredentials } from '../redact.js';
import { RedstreamError } from './redstream.error.js';

/** An option given at construction is missing, of the wrong type or out of range. */
export class InvalidOptionError extends RedstreamError {
  /** The value given (a string with any URL password masked); not enumerable, so logging the error does not print it. */
  declare readonly value: unknown;

  constructor(
    readonly option: string,
    value: unknown,
    readonly allowed: string,
  ) {
    // A URL's password never reaches the message, whatever option carried it.
    super('ERR_INVALID_OPTION', `Invalid option \`${option}\`: got ${redactCredentials(describe(value))}; expected ${allowed}.`);
    Object.defineProperty(this, 'value', { value: typeof value === 'string' ? redactCredentials(value) : value, enumerable: false });
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}
