/** Runs the BUILT `redstream dashboard` and waits for the address it prints. */
import type { ChildProcess } from 'node:child_process';
import { spawnCli } from './cli.js';

export interface RunningDashboard {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly stdout: string;
  stop(): Promise<void>;
}

export async function startDashboard(redisUrl: string, args: readonly string[] = []): Promise<RunningDashboard> {
  const child: ChildProcess = spawnCli(['--url', redisUrl, 'dashboard', '--port', '0', ...args]);
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dashboard did not start within 10 s: ${stderr}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /(http:\/\/[^\s]+\/)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dashboard exited ${code}: ${stderr}`));
    });
  });
  return {
    url,
    get stdout() {
      return stdout;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
