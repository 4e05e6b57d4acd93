/**
 * The core admin functions behind the dashboard and the CLI: dead-letter pages with a filter
 * and a scan budget, counts that equal what a replay or purge touches, a filtered purge that
 * stops at the confirmed count, pending selection, and what readMessage knows about an entry
 * (and which other priority levels hold an entry with its id).
 */
import {
  countSelectedDeadLetters,
  KeyBuilder,
  purgeDeadLetters,
  readDeadLetterPage,
  readMessage,
  RedisConnection,
  selectPendingEntries,
} from '@redstream/core';
import { usePrivateRedis } from '../support/private-redis.js';

const keys = new KeyBuilder('rs');

describe('admin selection', () => {
  const env = usePrivateRedis();
  let connection: RedisConnection;

  beforeAll(async () => {
    connection = await RedisConnection.open({ url: env.redis.url }, 'admin-selection-test');
  });
  afterAll(async () => {
    await connection?.close();
  });

  /** Dead letters in the documented wire format: every 4th of group `b`, reasons alternating. */
  async function writeDeadLetters(stream: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const fields = ['data', `{"n":${i}}`, 'id', `m${i}`, 'ts', '1', 'dlqOriginalId', `1-${i}`, 'dlqGroup', i % 4 === 0 ? 'b' : 'a', 'dlqReason', i % 2 === 0 ? 'unrecoverable' : 'max-deliveries'];
      ids.push(String(await env.client.sendCommand(['XADD', keys.forStream(stream).deadLetter, '*', ...fields])));
    }
    return ids;
  }

  it('pages dead letters matching a filter by cursor, within a scan budget, and counts what a replay would touch', async () => {
    const stream = 'admin.dlq-pages';
    const ids = await writeDeadLetters(stream, 40);
    const groupB = ids.filter((_, i) => i % 4 === 0);

    const first = await readDeadLetterPage(connection, keys, stream, { filter: { group: 'b' }, limit: 4 });
    expect(first.deadLetters.map((d) => d.id)).toEqual(groupB.slice(0, 4));
    expect(first.next).toBe(groupB[3]);
    const rest = await readDeadLetterPage(connection, keys, stream, { filter: { group: 'b' }, after: first.next, limit: 100 });
    expect(rest.deadLetters.map((d) => d.id)).toEqual(groupB.slice(4));
    expect(rest.next).toBeUndefined();

    // A budget of 10 scanned entries yields the matches among them and a cursor to go on from.
    const budgeted = await readDeadLetterPage(connection, keys, stream, { filter: { group: 'b' }, limit: 100, scanLimit: 10 });
    expect(budgeted.deadLetters.map((d) => d.id)).toEqual(groupB.slice(0, 3));
    expect(budgeted.next).toBe(ids[9]);

    expect(await countSelectedDeadLetters(connection, keys, stream, { filter: { group: 'b' } })).toBe(10);
    expect(await countSelectedDeadLetters(connection, keys, stream, { filter: { group: 'b', reason: 'unrecoverable' } })).toBe(10);
    expect(await countSelectedDeadLetters(connection, keys, stream, { filter: { reason: 'max-deliveries' } })).toBe(20);
    expect(await countSelectedDeadLetters(connection, keys, stream, { filter: {} })).toBe(40);
    expect(await countSelectedDeadLetters(connection, keys, stream, { ids: [ids[0], ids[0], '1-1'] })).toBe(1);
  });

  it('purges at most the confirmed count of a filter, oldest first', async () => {
    const stream = 'admin.dlq-purge';
    const ids = await writeDeadLetters(stream, 12);
    expect(await purgeDeadLetters(connection, keys, stream, { filter: { reason: 'unrecoverable' }, limit: 4 })).toBe(4);
    const left = (await env.client.sendCommand(['XRANGE', keys.forStream(stream).deadLetter, '-', '+'])) as [string, string[]][];
    expect(left.map(([id]) => id)).toEqual(ids.filter((_, i) => i % 2 === 1 || i >= 8));
  });

  it('selects the named ids that are pending and says why the others are skipped', async () => {
    const stream = 'admin.pending-select';
    const key = keys.stream(stream);
    const added = [];
    for (let i = 0; i < 3; i += 1) added.push(String(await env.client.sendCommand(['XADD', key, '*', 'data', '{}'])));
    await env.client.sendCommand(['XGROUP', 'CREATE', key, 'g', '0']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'w', 'COUNT', '2', 'STREAMS', key, '>']);
    const selection = await selectPendingEntries(connection, keys, stream, 'g', [added[0], added[2], added[0]]);
    expect(selection.selected.map((e) => [e.id, e.consumer, e.deliveries])).toEqual([[added[0], 'w', 1]]);
    expect(selection.skipped).toEqual([{ id: added[2], reason: 'not-pending' }]);
    const idle = await selectPendingEntries(connection, keys, stream, 'g', [added[1]], 60_000);
    expect(idle.skipped).toEqual([{ id: added[1], reason: 'idle-below-min' }]);
  });

  it('tells per group whether an entry is pending, handled or not yet delivered, and finds its dead letters', async () => {
    const stream = 'admin.message';
    const key = keys.stream(stream);
    const [first, second] = [String(await env.client.sendCommand(['XADD', key, '*', 'data', '{"a":1}', 'id', 'one'])), String(await env.client.sendCommand(['XADD', key, '*', 'data', '{}']))];
    for (const group of ['reader', 'acker', 'idle']) await env.client.sendCommand(['XGROUP', 'CREATE', key, group, '0']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'reader', 'r1', 'COUNT', '1', 'STREAMS', key, '>']);
    await env.client.sendCommand(['XREADGROUP', 'GROUP', 'acker', 'a1', 'COUNT', '2', 'STREAMS', key, '>']);
    await env.client.sendCommand(['XACK', key, 'acker', first]);
    await env.client.sendCommand(['XADD', keys.forStream(stream).deadLetter, '*', 'data', '{"a":1}', 'dlqOriginalId', first, 'dlqGroup', 'acker', 'dlqReason', 'handler-error']);

    const message = await readMessage(connection, keys, stream, first);
    expect(message.fields).toEqual({ data: '{"a":1}', id: 'one' });
    const positions = Object.fromEntries(message.groups.map((g) => [g.group, g.position]));
    expect(positions).toEqual({ reader: 'pending', acker: 'past', idle: 'not-delivered' });
    expect(message.groups.find((g) => g.group === 'reader')?.pending).toMatchObject({ consumer: 'r1', deliveries: 1 });
    expect(message.deadLetters.map((d) => [d.originalId, d.group, d.reason])).toEqual([[first, 'acker', 'handler-error']]);

    const other = await readMessage(connection, keys, stream, second);
    expect(other.deadLetters).toEqual([]);
    expect(Object.fromEntries(other.groups.map((g) => [g.group, g.position]))).toEqual({ reader: 'not-delivered', acker: 'pending', idle: 'not-delivered' });
    expect((await readMessage(connection, keys, stream, '1-0')).fields).toBeNull();
  });

  it('readMessage without a level names the other levels that hold an entry with the same id', async () => {
    const stream = 'sel.levels';
    const levelKeys = keys.forStream(stream);
    // Each level's stream has its own ids: the same id on normal and on low, two different messages.
    await env.client.sendCommand(['XADD', levelKeys.stream, '5-1', 'data', '{"on":"normal"}', 'id', 'n']);
    await env.client.sendCommand(['XADD', levelKeys.level('low').stream, '5-1', 'data', '{"on":"low"}', 'id', 'l']);
    await env.client.sendCommand(['XADD', levelKeys.level('high').stream, '6-1', 'data', '{"on":"high"}', 'id', 'h']);

    const found = await readMessage(connection, keys, stream, '5-1');
    expect([found.priority, found.fields?.id, found.alsoOn]).toEqual(['normal', 'n', ['low']]);
    const low = await readMessage(connection, keys, stream, '5-1', 'low');
    expect([low.priority, low.fields?.id, low.alsoOn]).toEqual(['low', 'l', []]);
    const high = await readMessage(connection, keys, stream, '6-1');
    expect([high.priority, high.fields?.id, high.alsoOn]).toEqual(['high', 'h', []]);
  });
});
