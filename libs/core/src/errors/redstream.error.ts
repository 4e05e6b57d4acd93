/** Base class of every error redstream throws; `code` is stable and safe to match on. */
export class RedstreamError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
