/** The child side of a role: its configuration, and messages to and from the runner. */
export const config = JSON.parse(process.env.BENCH_ROLE_CONFIG ?? '{}');

export function send(message) {
  process.send?.(message);
}

const handlers = new Map();
process.on('message', (message) => handlers.get(message.type)?.(message));
handlers.set('memory', () => send({ type: 'memory', ...process.memoryUsage() }));

/** Resolves when the runner sends a message of that type. */
export function when(type) {
  return new Promise((resolve) => handlers.set(type, resolve));
}

/** Runs `close` when the runner says stop (or the IPC channel goes away), then exits. */
export function onStop(close) {
  const stop = async () => {
    try {
      await close();
    } finally {
      process.exit(0);
    }
  };
  handlers.set('stop', stop);
  process.on('disconnect', stop);
}

/** The payload every producer sends: an index and the publish time (for latency). */
export function payload(i, publishedAt) {
  return { i, t: publishedAt, customer: 'c-1042', amount: 129.9 };
}
