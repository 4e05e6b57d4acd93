/**
 * The reference ceiling: a hand-written node-redis v4 loop, as fast as a plain loop gets.
 * XREADGROUP COUNT 500 with the next read already on the socket while a read's entries
 * are handled (two reads in flight), JSON.parse of each entry's `data`, and one XACK per
 * read, not awaited, on a second connection so it never queues behind a read. Per message
 * it allocates nothing but what node-redis decodes and JSON.parse returns.
 * No retries, no dead letters, no reclaim.
 *
 * Why two reads in flight: node-redis corks its socket and writes queued commands in a
 * setImmediate, so a read issued and then followed by synchronous handling would leave
 * only after the handling; with the following read already sent, redis-server works on it
 * while this process parses the previous one.
 */
import { createClient } from 'redis';
import { now } from '../lib/clock.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const count = String(config.count ?? 500);
const readsInFlight = config.readsInFlight ?? 2;
const recorder = createRecorder(config);
const reader = createClient({ url: config.url });
const acker = createClient({ url: config.url });
await Promise.all([reader.connect(), acker.connect()]);
const key = config.streamKey;
await reader.sendCommand(['XGROUP', 'CREATE', key, 'bench', '0', 'MKSTREAM']).catch(() => undefined);
let stopping = false;
onStop(async () => {
  stopping = true;
  await Promise.all([reader.disconnect(), acker.disconnect()]);
});
const readCommand = ['XREADGROUP', 'GROUP', 'bench', 'raw-worker', 'COUNT', count, 'BLOCK', '1000', 'STREAMS', key, '>'];
const read = () => reader.sendCommand(readCommand).catch((error) => (stopping ? null : Promise.reject(error)));
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
const reads = [];
for (let i = 0; i < readsInFlight; i++) reads.push(read());
while (!stopping) {
  const reply = await reads.shift();
  reads.push(read());
  if (!reply) continue;
  const entries = reply[0][1];
  const ack = new Array(3 + entries.length);
  ack[0] = 'XACK';
  ack[1] = key;
  ack[2] = 'bench';
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    ack[3 + i] = entry[0];
    recorder.record(JSON.parse(entry[1][1]));
  }
  void acker.sendCommand(ack);
}
