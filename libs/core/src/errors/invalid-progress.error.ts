import { RedstreamError } from './redstream.error.js';

/** `reportProgress` was given something other than a percentage or a small JSON object. */
export class InvalidProgressError extends RedstreamError {
  constructor(value: unknown, maxLength: number) {
    let shown: string;
    try {
      shown = JSON.stringify(value)?.slice(0, 80) ?? String(value);
    } catch {
      shown = String(value);
    }
    super('ERR_INVALID_PROGRESS', `reportProgress(${shown}): give a number from 0 to 100 or a JSON object of at most ${maxLength} characters`);
  }
}
