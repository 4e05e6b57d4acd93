/** The Nest transport on a partitioned stream: option `partitions` on server and client, `setPartitionKey`. */
import 'reflect-metadata';
import { KeyBuilder, partitionFor } from '@redstream/core';
import { RedisStreamRecordBuilder, RedisStreamsClient } from '@redstream/nestjs';
import { lastValueFrom } from 'rxjs';
import { usePrivateRedis } from '../support/private-redis.js';
import { quietLogger } from '../support/quiet-logger.js';
import { waitFor } from '../support/wait-for.js';
import { startWorker } from '../nestjs/worker-app.js';

describe('Nest transport on a partitioned stream', () => {
  const closing: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  const env = usePrivateRedis();
  const keys = new KeyBuilder();

  it('server and client agree on partitions; setPartitionKey routes; a client with another count fails to connect', async () => {
    const stream = 'nest.parts';
    const { app, received } = await startWorker(stream, { url: env.redis.url, group: 'g', partitions: { [stream]: 4 } }, {});
    closing.push(() => app.close());
    const client = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, partitions: { [stream]: 4 } });
    closing.push(() => client.close());
    await client.connect();
    const entryId = await lastValueFrom(client.emit(stream, new RedisStreamRecordBuilder({ n: 1 }).setPartitionKey('customer-2').build()));
    const partition = partitionFor('customer-2', 4);
    await waitFor(() => received.length === 1, { what: 'handled' });
    expect(received[0]).toMatchObject({ stream: `${stream}#${partition}`, entryId, data: { n: 1 } });
    expect(Number(await env.client.sendCommand(['XLEN', keys.stream(`${stream}#${partition}`)]))).toBe(1);

    const other = new RedisStreamsClient({ url: env.redis.url, logger: quietLogger, partitions: { [stream]: 8 } });
    await expect(other.connect()).rejects.toMatchObject({ code: 'ERR_PARTITIONS_MISMATCH' });
    expect(() => new RedisStreamRecordBuilder(1).setPartitionKey('')).toThrow(/setPartitionKey/);
  });
});
