/**
 * Runs test/fixtures/recording-worker.mjs as a real child process (built @redstream/core),
 * so tests can SIGKILL it mid-batch like a crashed pod.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ConsumerOptions } from '@redstream/core';

const FIXTURE = fileURLToPath(new URL('../fixtures/recording-worker.mjs', import.meta.url));

export interface WorkerSpec {
  url: string;
  stream: string;
  group: string;
  consumer: string;
  recordKey: string;
  options?: Partial<ConsumerOptions>;
  /** Another fixture under test/fixtures/ with the same env and `ready` line (default recording-worker.mjs). */
  fixture?: string;
}

export class WorkerProcess {
  /** Everything the worker wrote to stderr (its logger), for diagnosis and assertions. */
  stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly spec: WorkerSpec,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  static async start(spec: WorkerSpec): Promise<WorkerProcess> {
    const fixture = spec.fixture ? fileURLToPath(new URL(`../fixtures/${spec.fixture}`, import.meta.url)) : FIXTURE;
    const child = spawn(process.execPath, [fixture], {
      env: {
        ...process.env,
        REDIS_URL: spec.url,
        STREAM: spec.stream,
        GROUP: spec.group,
        CONSUMER: spec.consumer,
        RECORD_KEY: spec.recordKey,
        OPTIONS: JSON.stringify(spec.options ?? {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(spec, child);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('ready\n')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`worker ${spec.consumer} exited with ${code} before ready:\n${worker.stderr}`)));
    });
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** SIGKILL: no shutdown, no final ack; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: graceful stop. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }
}

/** One parsed record of the fixture worker. */
export interface HandledRecord {
  phase: 'start' | 'done';
  consumer: string;
  entryId: string;
  deliveryCount: number;
}

export function parseRecords(lines: string[]): HandledRecord[] {
  return lines.map((line) => {
    const [phase, consumer, entryId, deliveryCount] = line.split(' ');
    return { phase: phase as HandledRecord['phase'], consumer, entryId, deliveryCount: Number(deliveryCount) };
  });
}
