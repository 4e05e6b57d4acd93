/**
 * An entry with thousands of fields (written by another program) used to stay pending
 * forever: the dead-letter step's XADD of all its fields failed in Lua with "too many
 * results to unpack". The dead letter now keeps the wire-format fields and the first
 * 3,000 fields, and says how many it left out.
 */
import { fieldsToObject, UnrecoverableError } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('entries with 5,000 fields', () => {
  const fx = useRedis();
  const wideFields = (count: number) => Array.from({ length: count }, (_, i) => [`f${i}`, `v${i}`]).flat();
  const deadLetters = async (stream: string) =>
    ((await fx.client.sendCommand(['XRANGE', `rs:{${stream}}:dlq`, '-', '+'])) as [string, string[]][]).map(([, fields]) => fields);

  it('an undecodable one is dead-lettered with reason decode-error, and the next message is handled', async () => {
    const stream = 'wide.undecodable';
    const handled: unknown[] = [];
    await fx.consumer(stream, (message) => void handled.push(message.data));
    await fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', ...wideFields(5_000)]);
    await fx.producer.publish(stream, { after: true });

    await waitFor(async () => (await deadLetters(stream)).length === 1 && handled.length === 1 && (await fx.pendingCount(stream)) === 0, {
      timeoutMs: 10_000,
      what: 'the wide entry dead-lettered and the next one handled',
    });
    const letter = (await deadLetters(stream))[0];
    const fields = fieldsToObject(letter);
    expect(fields).toMatchObject({ dlqReason: 'decode-error', dlqTruncatedFields: '2000', f0: 'v0', f2999: 'v2999' });
    expect(fields.f3000).toBeUndefined();
  });

  it('one whose handler fails is dead-lettered with its wire-format fields kept first', async () => {
    const stream = 'wide.failing';
    await fx.consumer(stream, () => {
      throw new UnrecoverableError('cannot handle that');
    });
    const [entryId] = [
      (await fx.client.sendCommand(['XADD', `rs:{${stream}}`, '*', ...wideFields(5_000), 'data', '{"n":1}', 'id', 'm-1', 'ts', '1'])) as string,
    ];
    await waitFor(async () => (await deadLetters(stream)).length === 1 && (await fx.pendingCount(stream)) === 0, {
      timeoutMs: 10_000,
      what: 'the wide entry dead-lettered',
    });
    const fields = fieldsToObject((await deadLetters(stream))[0]);
    expect(fields).toMatchObject({ data: '{"n":1}', id: 'm-1', dlqOriginalId: entryId, dlqReason: 'unrecoverable', dlqTruncatedFields: '2003' });
  });
});
