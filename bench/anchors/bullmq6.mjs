/**
 * Anchor: the current BullMQ (6.x) from the bench's anchors package, on the bench's own
 * redis-server (no persistence and AOF, as the BullMQ 5.x rows), with the same roles as
 * those rows: the bullmq worker and publisher load this BullMQ through `bullmqModule`.
 * Its worker concurrency is the best of the same candidates as BullMQ 5.x's.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { bestOf } from '../lib/anchors.mjs';
import { drainThroughput, liveThroughput } from '../lib/scenarios.mjs';

const require = createRequire(import.meta.url);
const bullmqModule = () => pathToFileURL(require.resolve('bullmq')).href;
/** The anchors package's BullMQ version, once it is installed. */
export const bullmq6Version = () => require('bullmq/package.json').version;

export function bullmq6Anchor(settings) {
  const tuned = { concurrency: settings.bullmqConcurrencyCandidates[0], rates: {} };
  const worker = (concurrency = tuned.concurrency) => ({ system: 'bullmq', config: { concurrency, bullmqModule: bullmqModule() } });
  return {
    id: 'bullmq6',
    tuned,
    unavailable: async () => undefined,
    async tune(redis, tuneN, log) {
      log(`tuning BullMQ ${bullmq6Version()} worker concurrency (no persistence, ${tuneN.toLocaleString('en-US')} jobs):`);
      const { best, rates } = await bestOf(
        settings.bullmqConcurrencyCandidates,
        async (concurrency) => {
          const rate = await drainThroughput(redis, `tune.bullmq6.c${concurrency}`, tuneN, worker(concurrency));
          await redis.flush();
          return rate;
        },
        (concurrency) => `concurrency ${concurrency}`,
        log,
      );
      Object.assign(tuned, { concurrency: best, rates });
    },
    figures: [
      { id: 'drain.bullmq6', anchor: 'bullmq6', section: 'drain', unit: 'msg/s', aof: true,
        label: () => `BullMQ ${bullmq6Version()} worker, concurrency ${tuned.concurrency} (best of ${settings.bullmqConcurrencyCandidates.join('/')})`,
        measure: (redis, id) => drainThroughput(redis, id, settings.n, worker()) },
      { id: 'live.bullmq6', anchor: 'bullmq6', section: 'live', unit: 'msg/s', aof: true,
        label: () => `BullMQ ${bullmq6Version()} worker (concurrency ${tuned.concurrency}) + \`addBulk\` producer`,
        measure: async (redis, id) => (await liveThroughput(redis, id, settings.n, worker(), 'bullmq-addBulk')).rate },
    ],
  };
}
