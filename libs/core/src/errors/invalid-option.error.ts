import { RedstreamError } from './redstream.error.js';

/** An option given at construction is missing, of the wrong type or out of range. */
export class InvalidOptionError extends RedstreamError {
  constructor(
    readonly option: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super('ERR_INVALID_OPTION', `Invalid option \`${option}\`: got ${describe(value)}; expected ${allowed}.`);
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
