/**
 * A poison message in an ordered subscription holds back its own key only: while it is
 * retried with backoff, every other key — those in its partition too — is handled to the
 * end; later messages of its key wait, and run in order once the dead letter released it.
 */
import { KeyBuilder, partitionFor, setPartitionCount, type ReceivedMessage } from '@redstream/core';
import { useRedis } from '../support/redis-fixture.js';
import { waitFor } from '../support/wait-for.js';

describe('ordered consumption: a poison message', () => {
  const fx = useRedis();
  const keys = new KeyBuilder();

  it('holds back only its own key, which goes on in order after the dead letter', async () => {
    const stream = 'ordered.poison';
    await setPartitionCount(fx.producer.connection, keys, stream, 2);
    const keyNames = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    const poisonKey = 'key-3';
    expect(keyNames.filter((k) => k !== poisonKey && partitionFor(k, 2) === partitionFor(poisonKey, 2)).length).toBeGreaterThan(0);
    const perKey = 20;
    const handled: { k: string; seq: number }[] = [];
    let poisonAttempts = 0;
    /** How many messages were handled when the poison message failed for the last time. */
    let handledAtDeadLetter = -1;
    let othersDoneWhilePoisonHeld: boolean | undefined;
    const handler = (message: ReceivedMessage) => {
      const { k, seq } = message.data as { k: string; seq: number };
      if (k === poisonKey && seq === 5) {
        poisonAttempts += 1;
        if (poisonAttempts === 3) handledAtDeadLetter = handled.length;
        throw new Error('poison');
      }
      handled.push({ k, seq });
      if (othersDoneWhilePoisonHeld === undefined && handled.filter((h) => h.k !== poisonKey).length === (keyNames.length - 1) * perKey) {
        othersDoneWhilePoisonHeld = !handled.some((h) => h.k === poisonKey && h.seq > 5);
      }
    };
    await fx.consumer(stream, handler, { maxDeliveries: 3, backoff: { delayMs: 300, maxDelayMs: 300, jitter: false } }, { ordered: true });
    for (let seq = 1; seq <= perKey; seq += 1) {
      await fx.producer.publishMany(stream, keyNames.map((k) => ({ data: { k, seq }, options: { partitionKey: k } })));
    }

    await waitFor(() => handled.length === keyNames.length * perKey - 1, { timeoutMs: 30_000, what: 'everything but the poison message handled' });
    expect(othersDoneWhilePoisonHeld).toBe(true);
    expect(poisonAttempts).toBe(3);
    // Its key waited: none of its later messages ran before its last attempt failed.
    expect(handled.slice(0, handledAtDeadLetter).filter((h) => h.k === poisonKey && h.seq > 5)).toEqual([]);
    for (const k of keyNames) {
      const expected = Array.from({ length: perKey }, (_, i) => i + 1).filter((seq) => !(k === poisonKey && seq === 5));
      expect(handled.filter((h) => h.k === k).map((h) => h.seq)).toEqual(expected);
    }
    const partition = keys.forPartition(stream, partitionFor(poisonKey, 2));
    const deadLetters = await waitFor(async () => {
      const rows = (await fx.client.sendCommand(['XRANGE', partition.deadLetter, '-', '+'])) as [string, string[]][];
      return rows.length > 0 ? rows : undefined;
    }, { what: 'the dead letter written' });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0][1]).toEqual(expect.arrayContaining(['pkey', poisonKey, 'dlqDeliveries', '3']));
  });
});
