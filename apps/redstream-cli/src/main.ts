#!/usr/bin/env node
/** Entry point of the `redstream` bin: parse, run, map the outcome to an exit code. */
import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { EXIT_OK, exitCodeOf, reasonOf } from './support/exit.js';

try {
  await buildProgram().parseAsync(process.argv);
  process.exitCode = EXIT_OK;
} catch (error) {
  const code = exitCodeOf(error);
  // Commander has already printed its own message (usage errors, help, version).
  if (!(error instanceof CommanderError)) process.stderr.write(`redstream: ${reasonOf(error)}\n`);
  process.exitCode = code;
}
// A socket that failed to close must not keep the operator waiting; the timer is unref'd
// so it only fires when something else is still holding the process open.
setTimeout(() => process.exit(), 1_000).unref();
