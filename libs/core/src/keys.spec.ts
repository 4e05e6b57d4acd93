import { KeyBuilder } from './keys.js';

describe('KeyBuilder', () => {
  const keys = new KeyBuilder('rs');

  it('builds the keys of DESIGN.md with one hash tag per stream', () => {
    const k = keys.forStream('orders.created');
    expect(k.stream).toBe('rs:{orders.created}');
    expect(k.deadLetter).toBe('rs:{orders.created}:dlq');
    expect(k.delayed).toBe('rs:{orders.created}:delayed');
    expect(k.idempotency('o-1')).toBe('rs:{orders.created}:idem:o-1');
    expect(k.completed('billing', 'o-1')).toBe('rs:{orders.created}:done:billing:o-1');
    expect(keys.registry).toBe('rs:streams');
    expect(k.job('1-0')).toBe('rs:{orders.created}:job:1-0');
    expect(k.schedule('nightly')).toBe('rs:{orders.created}:schedule:nightly');
    expect(keys.schedules).toBe('rs:schedules');
    expect(k.events).toBe('rs:{orders.created}:events');
  });

  it('keeps every key of a stream in one cluster slot (same hash tag)', () => {
    const k = keys.forStream('a.b');
    const tags = [k.stream, k.deadLetter, k.delayed, k.delayedPayloads, k.retentionLock, k.idempotency('x'), k.completed('g', 'x'), k.job('1-0'), k.schedule('s'), k.events, k.paused('g'), k.rateLimit('g'), k.rateLimitHold('g'), k.members('g'), k.owner('g'), k.fence('g')].map(
      (key) => key.slice(key.indexOf('{') + 1, key.indexOf('}')),
    );
    expect(new Set(tags)).toEqual(new Set(['a.b']));
  });

  it('parses a stream key back to its logical name, and only its own', () => {
    expect(keys.parseStream('rs:{orders.created}')).toBe('orders.created');
    expect(keys.parseStream('other:{orders.created}')).toBeUndefined();
    expect(keys.parseStream('rs:{orders.created}:dlq')).toBeUndefined();
  });
});

describe('KeyBuilder.isReplyStream', () => {
  const keys = new KeyBuilder('rs');
  it('accepts exactly the reply streams it makes', () => {
    const id = '0b7c2a9e-1f4d-4c1a-9a51-2f0a8e6d1c33';
    expect(keys.isReplyStream(keys.replyStream(id))).toBe(true);
    for (const key of ['rs:{reply.orders}', 'rs:{orders.created}', `other:{reply.${id}}`, `rs:{reply.${id}}:x`, `rs:{reply.${id}x}`]) {
      expect(keys.isReplyStream(key)).toBe(false);
    }
  });
});
