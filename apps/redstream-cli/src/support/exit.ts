/**
 * Exit codes and the one-line reason on stderr: 0 ok, 1 failure (Redis unreachable,
 * unknown stream or group, a command Redis rejected), 2 bad usage.
 */
import { CommanderError } from 'commander';
import { InvalidOptionError, redactUrl } from '@redstream/core';
import { UsageError } from './usage-error.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Commander's own exits that are not errors. */
const CLEAN_EXITS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version', 'commander.executeSubCommandAsync']);

export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return CLEAN_EXITS.has(error.code) ? EXIT_OK : EXIT_USAGE;
  if (error instanceof UsageError || error instanceof InvalidOptionError) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** One line, no credentials: what went wrong and, where the error says it, what to do. */
export function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return oneLine(message.replace(/\b(rediss?:\/\/[^\s"']+)/g, (url) => redactUrl(url)));
}

export function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
