/**
 * An independent check of the reference loop, written the plain way with another client:
 * ioredis, XREADGROUP COUNT 500, the next read sent as soon as a reply arrives (ioredis
 * writes a command to the socket at once, so one read in flight is enough for it to
 * overlap the handling), JSON.parse of `data`, one XACK per read on a second connection.
 * If the node-redis loop were held back by how it is written, this one would show it.
 */
import { Redis } from 'ioredis';
import { now } from '../lib/clock.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const count = config.count ?? 500;
const recorder = createRecorder(config);
const reader = new Redis(config.port, '127.0.0.1');
const acker = new Redis(config.port, '127.0.0.1');
const key = config.streamKey;
await reader.xgroup('CREATE', key, 'bench', '0', 'MKSTREAM').catch(() => undefined);
let stopping = false;
onStop(async () => {
  stopping = true;
  reader.disconnect();
  acker.disconnect();
});
const read = () => reader.xreadgroup('GROUP', 'bench', 'raw-ioredis-worker', 'COUNT', count, 'BLOCK', 1000, 'STREAMS', key, '>').catch((error) => (stopping ? null : Promise.reject(error)));
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
let next = read();
while (!stopping) {
  const reply = await next;
  next = read();
  if (!reply) continue;
  const entries = reply[0][1];
  const ids = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    ids[i] = entries[i][0];
    recorder.record(JSON.parse(entries[i][1][1]));
  }
  void acker.xack(key, 'bench', ...ids);
}
