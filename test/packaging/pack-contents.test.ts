/**
 * What `npm publish` would upload for each of the four packages, read from
 * `npm pack --dry-run --json` (npm's own file selection: `files`, negations, always-included
 * README/LICENSE): the compiled JavaScript and declarations of every source file, the Lua steps,
 * README and LICENSE — and no build info, source maps, specs or sources. Plus the metadata a
 * registry page and a bundler read, and the changesets release plan (the four move together).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import getReleasePlan from '@changesets/get-release-plan';

const root = process.cwd();
const PACKAGES = ['libs/core', 'libs/dashboard', 'libs/nestjs', 'apps/redstream-cli'] as const;

interface PackResult {
  name: string;
  version: string;
  files: { path: string }[];
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const manifests = new Map(PACKAGES.map((dir) => [dir, JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'))]));
const packed = new Map<string, string[]>();

beforeAll(() => {
  for (const dir of PACKAGES) {
    if (!existsSync(join(root, dir, 'dist'))) throw new Error(`${dir}/dist is missing: run \`npm run build\` before this test`);
  }
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', ...PACKAGES.flatMap((dir) => ['--workspace', dir])], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const results = JSON.parse(out) as PackResult[];
  for (const dir of PACKAGES) {
    const result = results.find((r) => r.name === manifests.get(dir).name);
    if (!result) throw new Error(`npm pack printed nothing for ${dir}`);
    packed.set(dir, result.files.map((f) => f.path).sort());
  }
});

/** The JavaScript and declaration file tsc emits for every non-spec source file. */
function expectedDist(dir: string): string[] {
  const sources = listFiles(join(root, dir, 'src'))
    .map((path) => relative(join(root, dir, 'src'), path))
    .filter((path) => path.endsWith('.ts') && !path.endsWith('.spec.ts') && !path.endsWith('.d.ts'));
  return sources.flatMap((path) => {
    const base = `dist/${path.slice(0, -'.ts'.length)}`;
    return [`${base}.js`, `${base}.d.ts`];
  });
}

describe.each(PACKAGES)('%s tarball', (dir) => {
  const files = () => packed.get(dir)!;

  it('holds exactly the compiled sources, README, LICENSE and package.json (plus the Lua steps for core, the page assets for the dashboard)', () => {
    const lua = dir === 'libs/core' ? listFiles(join(root, dir, 'lua')).map((path) => relative(join(root, dir), path)) : [];
    const assets = dir === 'libs/dashboard' ? listFiles(join(root, dir, 'assets')).map((path) => relative(join(root, dir), path)) : [];
    expect(files()).toEqual([...expectedDist(dir), ...lua, ...assets, 'LICENSE', 'README.md', 'package.json'].sort());
  });

  it('carries no build info, source maps, specs, tests or TypeScript sources', () => {
    const unwanted = files().filter((path) => /\.tsbuildinfo$|\.map$|\.(spec|test)\.|^src\/|^test\//.test(path) || (path.endsWith('.ts') && !path.endsWith('.d.ts')));
    expect(unwanted).toEqual([]);
  });

  it('ships the MIT licence of the repository and a README of its own', () => {
    expect(readFileSync(join(root, dir, 'LICENSE'), 'utf8')).toBe(readFileSync(join(root, 'LICENSE'), 'utf8'));
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} redstream contributors\n/);
    const readme = readFileSync(join(root, dir, 'README.md'), 'utf8');
    const { name } = manifests.get(dir);
    expect(readme.startsWith(`# ${name}\n`)).toBe(true);
    expect(readme).toContain(`npm install ${dir === 'apps/redstream-cli' ? '--global ' : ''}${name}`);
    expect(readme).toMatch(/\[full README\]\(https:\/\/github\.com\/redstream\/redstream#readme\)/);
  });

  it('every entry point package.json names is in the tarball', () => {
    const manifest = manifests.get(dir);
    const entryPoints: string[] = [manifest.main, manifest.types, ...Object.values<string>(manifest.bin ?? {})];
    for (const target of Object.values<Record<string, string>>(manifest.exports ?? {})) entryPoints.push(...Object.values(target));
    const defined = entryPoints.filter((path): path is string => typeof path === 'string').map((path) => path.replace(/^\.\//, ''));
    expect(defined.length).toBeGreaterThan(0);
    for (const path of defined) expect(files()).toContain(path);
  });

  it('has the metadata a registry page and a bundler read', () => {
    const manifest = manifests.get(dir);
    expect(manifest).toMatchObject({
      license: 'MIT',
      repository: { type: 'git', url: 'git+https://github.com/redstream/redstream.git', directory: dir },
      engines: { node: '>=20.19.0' },
    });
    expect(manifest.keywords).toEqual(expect.arrayContaining(['redis-streams']));
    expect(manifest.private).toBeUndefined();
    // Libraries without import-time effects are tree-shakable; the CLI's entry point runs the program.
    expect(manifest.sideEffects).toBe(dir === 'apps/redstream-cli' ? undefined : false);
  });
});

describe('sideEffects: false', () => {
  // What a bundler may assume of a package marked sideEffects: false: importing it changes no
  // global and starts nothing (no timer, socket or file handle), so an unused import can go.
  it.each([
    ['@redstream/core', ['libs/core/dist/index.js', 'libs/core/dist/metrics/index.js']],
    ['@redstream/dashboard', ['libs/dashboard/dist/index.js']],
    ['@redstream/nestjs', ['libs/nestjs/dist/index.js']],
  ])('importing %s adds no global and leaves nothing running', (_name, entries) => {
    const script = `
      import 'reflect-metadata';
      import * as common from '@nestjs/common';
      import * as microservices from '@nestjs/microservices';
      import * as prom from 'prom-client';
      void common, microservices, prom;
      const globals = new Set(Reflect.ownKeys(globalThis));
      const resources = process.getActiveResourcesInfo().length;
      for (const entry of ${JSON.stringify(entries.map((entry) => join(root, entry)))}) await import(entry);
      const added = Reflect.ownKeys(globalThis).filter((key) => !globals.has(key)).map(String);
      console.log(JSON.stringify({ added, resources: process.getActiveResourcesInfo().length - resources }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ added: [], resources: 0 });
  });
});

describe('changesets', () => {
  it('releases the four packages together with one version, never the private demo apps', async () => {
    const plan = await getReleasePlan(root);
    const released = plan.releases.filter((r) => r.type !== 'none');
    expect(released.map((r) => r.name).sort()).toEqual(['@redstream/cli', '@redstream/core', '@redstream/dashboard', '@redstream/nestjs']);
    expect(new Set(released.map((r) => r.newVersion)).size).toBe(1);
    expect(plan.changesets.length).toBeGreaterThan(0);
  });
});
