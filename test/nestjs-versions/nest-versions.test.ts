/**
 * @redstream/nestjs as a user installs it, on NestJS 11 (a CommonJS app) and NestJS 12 (an ESM
 * app): the four packages are packed with `npm pack`, installed from the tarballs into a copy
 * of each fixture app (test/fixtures/nest-apps, outside the workspace) with its Nest version from
 * the registry, the app's TypeScript worker and producer are compiled with its own tsc and
 * settings, and run against a private redis-server: emit → handle → ack, a request-response
 * round trip, a dead letter, and a graceful close after which the process exits by itself; then
 * the installed `redstream` bin reads the streams the app left.
 *
 * Installs go through npm's cache (`--prefer-offline`), so after the first run they do not
 * download again.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useRedisServers } from '../support/private-redis.js';
import type { RedisServer } from '../support/redis-server.js';

const root = process.cwd();
const fixtures = join(root, 'test', 'fixtures', 'nest-apps');
const PACKAGES = ['libs/core', 'libs/dashboard', 'libs/nestjs', 'apps/redstream-cli'];
const work = mkdtempSync(join(tmpdir(), 'redstream-nest-versions-'));
let tarballs: string[] = [];

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Runs the app's dist/main.js; resolves with its exit code and output, or rejects after the deadline. */
function runApp(cwd: string, url: string, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/main.js'], { cwd, env: { ...process.env, REDIS_URL: url } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the app did not exit within ${timeoutMs} ms (something left open after close?)\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A copy of the fixture with the shared sources, installed from the tarballs. */
function installFixture(name: string): string {
  const app = join(work, name);
  cpSync(join(fixtures, name), app, { recursive: true });
  cpSync(join(fixtures, 'src'), join(app, 'src'), { recursive: true });
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', ...tarballs], app);
  return app;
}

beforeAll(async () => {
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work, ...PACKAGES.flatMap((dir) => ['--workspace', dir])], { cwd: root, encoding: 'utf8' }),
  ) as { filename: string }[];
  tarballs = packed.map((p) => join(work, p.filename));
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.each([
  { fixture: 'nest11-app', nest: '11', module: 'commonjs' },
  { fixture: 'nest12-app', nest: '12', module: 'esm' },
])('$fixture: NestJS $nest, $module', ({ fixture, nest, module }) => {
  let app: string;
  let redis: RedisServer;
  const servers = useRedisServers('file');

  beforeAll(async () => {
    app = installFixture(fixture);
    // With persistence, as in production: the apps then log nothing (no start warning) and stderr stays empty.
    redis = await servers.start({ aof: true });
  }, 240_000);

  it(`installs the tarballs next to NestJS ${nest} and compiles the worker and producer with tsc`, () => {
    const installed = JSON.parse(readFileSync(join(app, 'node_modules', '@nestjs', 'microservices', 'package.json'), 'utf8'));
    expect(installed.version.split('.')[0]).toBe(nest);
    const ours = JSON.parse(readFileSync(join(app, 'node_modules', '@redstream', 'nestjs', 'package.json'), 'utf8'));
    expect(ours.peerDependencies['@nestjs/microservices']).toBe('^11.0.0 || ^12.0.0');
    run(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
  }, 120_000);

  it('emits, handles and acks; answers a request; dead-letters a failure; closes and exits by itself', async () => {
    const { code, stdout, stderr } = await runApp(app, redis.url);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(result).toEqual({
      module,
      entryId: expect.stringMatching(/^\d+-\d+$/),
      handled: [{ id: 'o-1', stream: 'orders.created', messageId: expect.any(String), deliveries: 1 }],
      acked: true,
      quote: { sku: 'A-1', price: 42, stream: 'prices.quote' },
      deadLetters: 1,
    });
  }, 90_000);

  it('the installed `redstream` bin reads what the app left in Redis', () => {
    const out = run(join(app, 'node_modules', '.bin', 'redstream'), ['--url', redis.url, '--json', 'streams', 'orders.created', 'orders.rejected'], app);
    const streams = JSON.parse(out) as { stream: string; deadLetters: number; groups: { name: string; pending: number }[] }[];
    // Lengths are left out: acked entries may already be trimmed by retention.
    expect(streams.map(({ stream, deadLetters }) => ({ stream, deadLetters }))).toEqual([
      { stream: 'orders.created', deadLetters: 0 },
      { stream: 'orders.rejected', deadLetters: 1 },
    ]);
    for (const stream of streams) expect(stream.groups).toEqual([expect.objectContaining({ name: 'fixture', pending: 0 })]);
  }, 30_000);

  if (nest === '12') {
    it('needs strictFunctionTypes off for a typed @Ctx() on @EventPattern (Nest 12 types the handler as (data, ...args: unknown[]) => any)', () => {
      const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
      const strict = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--strictFunctionTypes', 'true', '--noEmit'], { cwd: app, encoding: 'utf8' });
      expect(strict.status).not.toBe(0);
      expect(strict.stdout).toContain("Type 'unknown' is not assignable to type 'RedisStreamContext'");
    }, 120_000);
  }
});
