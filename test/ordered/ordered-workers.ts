/**
 * The ordered-consumption scenario shared by the single-node and the cluster test: 20,000
 * messages over 200 keys, published in three waves, through worker processes with
 * `ordered: true` (test/fixtures/ordered-worker.mjs); three start, one is SIGKILLed
 * mid-run, a fourth starts later. Then: every key's messages handled in publish order
 * (ordering-check.ts), nothing lost, and every partition owned by exactly one live
 * consumer, as its lease in Redis says and as the consumers themselves say.
 */
import { KeyBuilder, type ConsumerOptions, type StreamProducer } from '@redstream/core';
import { WorkerProcess } from '../support/worker-process.js';
import { waitFor } from '../support/wait-for.js';
import { orderingProblems, parseOrderedRecords } from './ordering-check.js';

export interface OrderedTarget {
  readonly url: string;
  readonly producer: StreamProducer;
  /** One command on the test's Redis (or cluster). */
  send<T>(args: string[]): Promise<T>;
  /** Consumer options of the workers besides url, group and consumer (e.g. `cluster`). */
  readonly workerOptions: Partial<ConsumerOptions>;
}

export const KEYS = 200;
export const PER_KEY = 100;
const keyNames = Array.from({ length: KEYS }, (_, i) => `key-${i}`);

export async function runOrderedScenario(target: OrderedTarget, stream: string, partitions: number): Promise<{ records: number; repeats: number }> {
  const recordKey = `${stream}:records`;
  const keys = new KeyBuilder();
  const workers: WorkerProcess[] = [];
  const options = { ...target.workerOptions, claim: { minIdleMs: 2_000, intervalMs: 1_000, count: 100 }, concurrency: 64, blockMs: 500 };
  const start = (consumer: string) =>
    WorkerProcess.start({ url: target.url, stream, group: 'g', consumer, recordKey, options, fixture: 'ordered-worker.mjs' }).then((worker) => {
      workers.push(worker);
      return worker;
    });
  let nextSeq = 1;
  /** One wave: `rounds` messages of every key, key after key, so each key's seq grows in publish order. */
  const publishWave = async (rounds: number) => {
    for (let round = 0; round < rounds; round += 1, nextSeq += 1) {
      const seq = nextSeq;
      await target.producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
    }
  };
  const handled = async () => Number(await target.send(['LLEN', recordKey]));

  try {
    await publishWave(40);
    const [doomed] = await Promise.all([start('w1'), start('w2'), start('w3')]);
    // Killed once it owns partitions and is busy in them: it dies with entries read and not acked.
    const handledBy = async (consumer: string) => (await target.send<string[]>(['LRANGE', recordKey, '0', '-1'])).filter((line) => line.startsWith(`${consumer} `)).length;
    await waitFor(async () => (await handled()) >= 3_000 && (await handledBy('w1')) >= 300, { timeoutMs: 60_000, what: '3,000 handled, 300 by w1' });
    await doomed.kill();
    await publishWave(30);
    await waitFor(async () => (await handled()) >= 10_000, { timeoutMs: 60_000, what: '10,000 handled' });
    const late = await start('w4');
    // The last wave once the late joiner has its share: it must take part.
    const ownedBy = async (consumer: string) => JSON.parse((await target.send<string | null>(['GET', `${recordKey}:owned:${consumer}`])) ?? '[]') as string[];
    // (With ORDERED=0, to see this test fail on the order itself, nobody owns anything.)
    if (process.env.ORDERED !== '0') await waitFor(async () => (await ownedBy('w4')).length > 0, { timeoutMs: 30_000, what: 'w4 owns partitions' });
    await publishWave(PER_KEY - 40 - 30);
    const lines = await waitFor(
      async () => {
        const all = await target.send<string[]>(['LRANGE', recordKey, '0', '-1']);
        const distinct = new Set(all.map((line) => line.split(' ').slice(1, 3).join(' ')));
        return distinct.size >= KEYS * PER_KEY ? all : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'every message handled' },
    );
    const records = parseOrderedRecords(lines);
    const byConsumer = new Map<string, number>();
    for (const r of records) byConsumer.set(r.consumer, (byConsumer.get(r.consumer) ?? 0) + 1);
    process.stdout.write(`handled per consumer: ${JSON.stringify(Object.fromEntries(byConsumer))}\n`);
    expect(orderingProblems(records, keyNames, PER_KEY, new Set(['w1']))).toEqual([]);
    expect(records.filter((r) => r.consumer === 'w4').length).toBeGreaterThan(0);

    // Every partition owned by exactly one live consumer: the lease in Redis and the consumers' own view agree.
    const live = ['w2', 'w3', 'w4'];
    const partitionKeys = Array.from({ length: partitions }, (_, i) => (partitions === 1 ? keys.forStream(stream) : keys.forPartition(stream, i)));
    await waitFor(
      async () => {
        const owners = await Promise.all(partitionKeys.map((k) => target.send<string | null>(['GET', k.owner('g')])));
        const views = await Promise.all(live.map(ownedBy));
        const claimed = views.flat();
        return (
          owners.every((value, i) => value !== null && live.includes(value.split(' ')[0]) && views[live.indexOf(value.split(' ')[0])].includes(partitionKeys[i].stream)) &&
          claimed.length === partitions &&
          new Set(claimed).size === partitions
        );
      },
      { timeoutMs: 20_000, what: 'each partition owned by one live consumer' },
    );
    expect(late).toBeDefined();
    return { records: records.length, repeats: records.length - KEYS * PER_KEY };
  } catch (error) {
    const owners = await Promise.all(Array.from({ length: partitions }, (_, i) => target.send<string | null>(['GET', keys.forPartition(stream, i).owner('g')])));
    const views = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((w) => target.send<string | null>(['GET', `${recordKey}:owned:${w}`])));
    const members = await target.send<string[]>(['ZRANGE', keys.forStream(stream).members('g'), '0', '-1', 'WITHSCORES']);
    throw new Error(`${(error as Error).message}\nowners ${JSON.stringify(owners)}\nviews ${JSON.stringify(views)}\nmembers ${JSON.stringify(members)}\n${workers.map((w) => `${w.spec.consumer}: ${w.stderr.slice(-2000)}`).join('\n')}`);
  } finally {
    await Promise.all(workers.map((w) => w.kill()));
  }
}
