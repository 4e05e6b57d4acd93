/**
 * The runner side of a role: each producer or worker runs as its own child process (as it
 * would in production), configured through one JSON env variable and talking over IPC.
 */
import { fork } from 'node:child_process';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const rolesDir = fileURLToPath(new URL('../roles/', import.meta.url));

export class RoleProcess {
  /** `name`: a role under bench/roles/ (`worker-raw`), or the absolute path of a role file elsewhere (the anchors'). */
  constructor(name, config) {
    this.name = name.includes('/') ? basename(name, '.mjs') : name;
    this.inbox = [];
    this.waiters = [];
    this.exited = false;
    this.child = fork(name.includes('/') ? name : `${rolesDir}${name}.mjs`, [], {
      env: { ...process.env, BENCH_ROLE_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // BENCH_PROFILE_DIR=dir writes a V8 CPU profile of every role process there; BENCH_NODE_ARGS adds node flags.
      execArgv: [...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    });
    this.child.on('message', (message) => {
      const waiter = this.waiters.find((w) => w.type === message.type);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
      } else {
        this.inbox.push(message);
      }
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      for (const waiter of this.waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) while the runner waited for "${waiter.type}"`));
      }
    });
  }

  /** Resolves with the next message of that type (or one already received). */
  next(type, timeoutMs = 300_000) {
    const index = this.inbox.findIndex((m) => m.type === type);
    if (index >= 0) return Promise.resolve(this.inbox.splice(index, 1)[0]);
    if (this.exited) return Promise.reject(new Error(`${this.name} already exited; no "${type}" message`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.findIndex((w) => w.timer === timer), 1);
        reject(new Error(`${this.name}: no "${type}" message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({ type, resolve, reject, timer });
    });
  }

  /** Messages of that type received so far (progress reports), removed from the inbox. */
  take(type) {
    const taken = this.inbox.filter((m) => m.type === type);
    this.inbox = this.inbox.filter((m) => m.type !== type);
    return taken;
  }

  send(message) {
    if (!this.exited) this.child.send(message);
  }

  /** Asks the role to stop (it closes its clients and answers "stopped"), else kills it. */
  async stop(timeoutMs = 10_000) {
    if (this.exited) return undefined;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.send({ type: 'stop' });
    let timer;
    const timedOut = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await exited;
    }
    return undefined;
  }
}
