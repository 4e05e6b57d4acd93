/**
 * Failure paths of the consumer that must neither stall it nor hang it: a command that
 * fails while entries hold handler slots, and a shutdown while Redis is unreachable.
 */
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('consumer failure paths', () => {
  const fx = useRedis();

  it('keeps its handler slots when re-reading its own pending entries fails at start, and consumes once Redis answers again', async () => {
    const stream = 'failure.reread';
    // XPENDING refused (as a transient failure would be) while the consumer starts.
    await fx.client.sendCommand(['ACL', 'SETUSER', 'default', '-xpending']);
    const errors: string[] = [];
    const handled: string[] = [];
    try {
      const worker = await fx.consumer(stream, (m) => void handled.push(m.entryId), { concurrency: 2, consumer: 'rereader', shutdownTimeoutMs: 1_000 });
      worker.on('consumer-error', (_error: Error, source: string) => errors.push(source));
      await waitFor(() => errors.includes('read'), { what: 'the start-up re-read to fail' });
    } finally {
      await fx.client.sendCommand(['ACL', 'SETUSER', 'default', '+xpending']);
    }
    const { entryId } = await fx.producer.publish(stream, 'after the failures');
    await waitFor(() => handled.includes(entryId), { timeoutMs: 15_000, what: 'the entry published after the failures to be handled' });
  });
});
