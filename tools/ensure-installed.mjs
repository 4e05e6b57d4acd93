#!/usr/bin/env node
/**
 * Lets the README's quick start be two commands on a fresh clone: `npm run demo` and
 * `npm test` run `npm ci` first when dependencies are not installed (or the lock file
 * changed since they were). With node_modules in place it does nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const installed = new URL('../node_modules/.package-lock.json', import.meta.url);
const lock = new URL('../package-lock.json', import.meta.url);

if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.log('redstream: dependencies missing or out of date; running npm ci');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit', cwd: new URL('..', import.meta.url) });
  process.exit(result.status ?? 1);
}
