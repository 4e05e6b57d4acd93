/**
 * The publishing side every producer role shares, whatever its client: wait for "go",
 * publish `count` messages as fast as possible (awaited one by one, or in bursts) or at a
 * fixed `rate`, then report "published" with the rate and CPU per message.
 *
 * A client is { publishOne(i) → Promise, fireOne?(i), publishMany?(from, to) → Promise, close() }.
 * A burst is `burst` sends without awaiting each, ended by the reply to its last one (replies
 * come back in order on the one connection), for every client alike.
 */
import { now } from './clock.mjs';
import { onStop, send, when } from './role.mjs';

export async function runPublisher(client, { count, burst = 1000, rate, awaited = false }) {
  onStop(() => client.close());
  send({ type: 'ready' });
  await when('go');
  const startedAt = now();
  const cpuAtStart = process.cpuUsage();
  if (rate) await atFixedRate(client, count, rate);
  else if (awaited) for (let i = 0; i < count; i++) await client.publishOne(i);
  else for (let from = 0; from < count; from += burst) await publishRange(client, from, Math.min(count, from + burst));
  const endedAt = now();
  const cpu = process.cpuUsage(cpuAtStart);
  send({ type: 'published', count, startedAt, endedAt, rate: (count * 1000) / (endedAt - startedAt), cpuUsPerMessage: (cpu.user + cpu.system) / count });
}

function publishRange(client, from, to) {
  if (client.publishMany) return client.publishMany(from, to);
  if (!client.fireOne) {
    const sends = new Array(to - from);
    for (let i = from; i < to; i++) sends[i - from] = client.publishOne(i);
    return Promise.all(sends);
  }
  for (let i = from; i < to - 1; i++) client.fireOne(i);
  return client.publishOne(to - 1);
}

/** Offers `rate` messages per second: every millisecond, publishes what is due by then. */
async function atFixedRate(client, count, rate) {
  const startedAt = now();
  const pending = [];
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((now() - startedAt) * rate) / 1000));
    for (; sent < due; sent++) pending.push(client.publishOne(sent));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await Promise.all(pending);
}
