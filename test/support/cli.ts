/** Runs the BUILT `redstream` CLI (apps/redstream-cli/dist/main.js) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI_MAIN = fileURLToPath(new URL('../../apps/redstream-cli/dist/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Starts the CLI; REDIS_URL is cleared so only `--url` decides where it connects. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [CLI_MAIN, ...args], {
    env: { ...process.env, REDIS_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  const started = Date.now();
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started }));
  });
}

export function runCli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return finished(spawnCli(args, env));
}

/** Runs the CLI with `--json` and parses stdout; fails with stderr when it did not exit 0. */
export async function runCliJson<T = any>(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<T> {
  const result = await runCli([...args, '--json'], env);
  if (result.code !== 0) throw new Error(`redstream ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
