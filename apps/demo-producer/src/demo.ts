/**
 * `npm run demo`: runs the demo end to end against REDIS_URL (default the local Redis):
 * starts two workers and the producer as real processes, POSTs a batch of jobs, waits
 * until the group has nothing pending or unread, prints a summary and exits 0.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const JOBS = Number(process.env.DEMO_JOBS ?? 2_000);
const PRODUCER_PORT = Number(process.env.DEMO_PRODUCER_PORT ?? 3300);
const WORKER_PORTS = [3301, 3302];
const TIMEOUT_MS = 60_000;

const children: ChildProcess[] = [];

function start(name: string, script: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [script], { env: { ...process.env, REDIS_URL, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (line: string) => line && process.stdout.write(`  [${name}] ${line}\n`);
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').forEach(prefix));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => chunk.split('\n').forEach(prefix));
  children.push(child);
  return child;
}

async function waitUntil<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`demo: timed out waiting for ${what}${lastError ? ` (${(lastError as Error).message})` : ''}`);
}

async function json(path: string, init?: RequestInit): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${PRODUCER_PORT}${path}`, init);
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function main(): Promise<void> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const worker = fileURLToPath(new URL('../../demo-worker/dist/main.js', import.meta.url));
  console.log(`redstream demo against ${REDIS_URL.replace(/:[^:@/]*@/, ':***@')}`);
  start('producer', `${here}main.js`, { PORT: String(PRODUCER_PORT) });
  WORKER_PORTS.forEach((port, i) => start(`worker-${i + 1}`, worker, { PORT: String(port) }));
  for (const port of WORKER_PORTS) {
    await waitUntil(`worker health on :${port}`, async () => ((await fetch(`http://127.0.0.1:${port}/health`)).ok ? true : undefined));
  }
  await waitUntil('producer', async () => json('/jobs/stats'));

  const started = Date.now();
  let sent = 0;
  while (sent < JOBS) {
    const count = Math.min(500, JOBS - sent);
    await json('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count, workMs: 1 }) });
    sent += count;
  }
  await json('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 1, poison: true }) });
  console.log(`enqueued ${JOBS} jobs and 1 poison job with POST /jobs`);
  const stats = await waitUntil('all jobs processed', async () => {
    const all = await json('/jobs/stats');
    const demo = all.find((s: { stream: string }) => s.stream === 'demo.jobs');
    const group = demo?.groups.find((g: { name: string }) => g.name === 'demo-workers');
    return group && group.pending === 0 && group.lag === 0 && demo.deadLetters >= 1 ? { demo, group } : undefined;
  });
  const seconds = (Date.now() - started) / 1000;
  const quote = await json('/jobs/quote');
  const progress = await followLongJob();
  const handled = await Promise.all(WORKER_PORTS.map((port) => handledByWorker(port)));
  console.log('\nsummary');
  console.log(`  jobs enqueued and processed : ${JOBS} in ${seconds.toFixed(2)} s (${Math.round(JOBS / seconds)} jobs/s incl. HTTP)`);
  console.log(`  stream ${stats.demo.key}: length ${stats.demo.length}, group ${stats.group.name}: pending ${stats.group.pending}, lag ${stats.group.lag}, consumers ${stats.group.consumers}`);
  console.log(`  handled per worker (from /metrics): ${handled.map((n, i) => `worker-${i + 1} ${n}`).join(', ')}`);
  console.log(`  dead letters: ${stats.demo.deadLetters} (the poison job; see them with: redstream dlq list demo.jobs)`);
  console.log(`  request-response GET /jobs/quote: ${JSON.stringify(quote)}`);
  console.log(`  a long job, followed with GET /jobs/:id/events: ${progress.line}`);
  console.log(`  its status, GET /jobs/${progress.id}: ${JSON.stringify(progress.status)}`);
}

/**
 * Enqueues one job of five steps and follows it over server-sent events (client.watch behind
 * GET /jobs/:id/events) until it completes, printing its progress as it arrives.
 */
async function followLongJob(): Promise<{ id: string; line: string; status: unknown }> {
  const { ids } = await json('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ count: 1, steps: 5, workMs: 150 }) });
  const id = ids[0] as string;
  const response = await fetch(`http://127.0.0.1:${PRODUCER_PORT}/jobs/${id}/events`);
  if (!response.ok || response.body === null) throw new Error(`/jobs/${id}/events: HTTP ${response.status}`);
  const seen: string[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const data = buffer.slice(0, end).split('\n').find((line) => line.startsWith('data:'));
      buffer = buffer.slice(end + 2);
      if (data === undefined) continue;
      const event = JSON.parse(data.slice(5)) as { state: string; progress?: unknown };
      const step = event.state === 'progress' ? `${event.progress}%` : event.state;
      if (seen[seen.length - 1] !== step) seen.push(step);
      // One line redrawn as events arrive on a terminal; the summary prints the whole line anyway.
      if (process.stdout.isTTY) process.stdout.write(`\r  job ${id}: ${seen.join(' → ')}`);
    }
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  return { id, line: seen.join(' → '), status: await json(`/jobs/${id}`) };
}

/** Successful handlings a worker reports in `redstream_messages_handled_total`. */
async function handledByWorker(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('redstream_messages_handled_total{') && l.includes('stream="demo.jobs"') && l.includes('outcome="success"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

main()
  .then(async () => {
    await stopAll();
    console.log('demo finished: workers shut down gracefully');
    process.exit(0);
  })
  .catch(async (error) => {
    console.error(error instanceof Error ? error.message : error);
    await stopAll();
    process.exit(1);
  });
