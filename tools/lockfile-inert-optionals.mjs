#!/usr/bin/env node
/**
 * Works around npm 11.16+ rejecting its own lock file (npm/cli#9846): when the registry
 * lacks some platform builds of an optional dependency (here @unrs/resolver-binding-* for
 * android, darwin, win32, ...), `npm install` leaves them out of package-lock.json and
 * `npm ci` then fails with "Missing: <pkg>@ from lock file". This adds the inert
 * placeholder entries older npm versions wrote (version, os, cpu, optional), which
 * `npm ci` accepts and never installs on a platform they do not match.
 * Run after every `npm install` that changes the lock file: `npm run lockfile:fix`.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;
let added = 0;

for (const [path, meta] of Object.entries(packages)) {
  for (const [name, range] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
    if (packages[nested] || packages[`node_modules/${name}`]) continue;
    const platform = platformOf(name);
    if (!platform) continue;
    packages[`node_modules/${name}`] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(platform.cpu ? { cpu: [platform.cpu] } : {}),
      ...(meta.dev ? { dev: true } : {}),
      optional: true,
      os: [platform.os],
    };
    added += 1;
  }
}

lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: added ${added} inert optional placeholder entr${added === 1 ? 'y' : 'ies'}`);

/** Platform packages name their os and cpu: `…-darwin-arm64`, `…-linux-x64-musl`, `…-win32-ia32-msvc`, `…-wasm32-wasi`. */
function platformOf(name) {
  const match = /-(android|darwin|freebsd|linux|openharmony|win32|sunos|aix|netbsd|openbsd)-(arm64|arm|x64|ia32|loong64|ppc64|riscv64|s390x|mips64el)(?:-|$)/.exec(name);
  if (match) return { os: match[1], cpu: match[2] };
  if (/-wasm32-wasi$/.test(name)) return { os: 'wasi', cpu: 'wasm32' };
  return undefined;
}
