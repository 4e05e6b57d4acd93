#!/usr/bin/env node
/**
 * Temporary entry point of the `redstream` CLI with only the `keda` command registered;
 * the full CLI replaces this file when the branches are merged.
 */
import { Command } from 'commander';
import { registerKedaCommand } from './commands/keda.js';

const program = new Command('redstream').description('redstream admin CLI').option('--prefix <prefix>', 'key prefix', undefined);
registerKedaCommand(program);
program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
