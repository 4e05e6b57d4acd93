/**
 * The reference: a hand-written node-redis v4 loop. XREADGROUP COUNT 500, JSON.parse of
 * each entry's `data`, one XACK per batch sent without waiting (pipelined ahead of the
 * next read on the same connection). No retries, no dead letters, no reclaim.
 */
import { createClient } from 'redis';
import { now } from '../lib/clock.mjs';
import { createRecorder } from '../lib/recorder.mjs';
import { config, onStop, send, when } from '../lib/role.mjs';

const recorder = createRecorder(config);
const client = createClient({ url: config.url });
await client.connect();
const key = config.streamKey;
await client.sendCommand(['XGROUP', 'CREATE', key, 'bench', '0', 'MKSTREAM']).catch(() => undefined);
let stopping = false;
onStop(async () => {
  stopping = true;
  await client.disconnect();
});
send({ type: 'ready' });
await when('go');
send({ type: 'started', at: now() });
while (!stopping) {
  const reply = await client
    .sendCommand(['XREADGROUP', 'GROUP', 'bench', 'raw-worker', 'COUNT', '500', 'BLOCK', '1000', 'STREAMS', key, '>'])
    .catch((error) => (stopping ? null : Promise.reject(error)));
  if (!reply) continue;
  const entries = reply[0][1];
  const ids = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [id, fields] = entries[i];
    ids[i] = id;
    recorder.record(JSON.parse(fields[1]));
  }
  void client.sendCommand(['XACK', key, 'bench', ...ids]);
}
