import type { Logger } from '@redstream/core';

/** Collects log lines instead of printing them; tests can assert on them. */
export function collectingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    log: (message) => void lines.push(`log ${message}`),
    warn: (message) => void lines.push(`warn ${message}`),
    error: (message) => void lines.push(`error ${message}`),
  };
}

export const quietLogger: Logger = collectingLogger();
