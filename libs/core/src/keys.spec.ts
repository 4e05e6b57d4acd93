import { KeyBuilder, levelBaseKey, levelOfKey } from './keys.js';

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

  it('builds one stream per priority level in the stream\'s slot, sharing every other key', () => {
    const k = keys.forStream('orders.created');
    expect(k.level('normal')).toBe(k);
    const high = k.level('high');
    expect([high.stream, high.delayed, high.delayedPayloads, high.retentionLock]).toEqual([
      'rs:{orders.created}:high', 'rs:{orders.created}:high:delayed', 'rs:{orders.created}:high:delayed:payloads', 'rs:{orders.created}:high:retention-lock',
    ]);
    expect([high.deadLetter, high.idempotency('x'), high.completed('g', 'x'), high.paused('g'), high.rateLimit('g')]).toEqual([
      k.deadLetter, k.idempotency('x'), k.completed('g', 'x'), k.paused('g'), k.rateLimit('g'),
    ]);
    expect(k.level('low').stream).toBe(keys.levelStream('orders.created', 'low'));
    expect(keys.parseLevelStream('rs:{orders.created}:low')).toEqual({ name: 'orders.created', level: 'low' });
    expect(keys.parseLevelStream('rs:{orders.created}')).toEqual({ name: 'orders.created', level: 'normal' });
    expect(keys.parseLevelStream('rs:{orders.created}:dlq')).toBeUndefined();
    expect(levelBaseKey('rs:{a.b}:high')).toBe('rs:{a.b}');
    expect(levelBaseKey('rs:{reply.x}')).toBe('rs:{reply.x}');
    expect(levelOfKey('rs:{a.b}:low')).toBe('low');
  });
});

describe('KeyBuilder partitions', () => {
  const keys = new KeyBuilder();

  it('gives each partition its own hash tag and keys', () => {
    expect(keys.partitionName('orders.created', 3)).toBe('orders.created#3');
    const p = keys.forPartition('orders.created', 3);
    expect(p.stream).toBe('rs:{orders.created#3}');
    expect(p.deadLetter).toBe('rs:{orders.created#3}:dlq');
    expect(p.owner('billing')).toBe('rs:{orders.created#3}:owner:billing');
    expect(p.fence('billing')).toBe('rs:{orders.created#3}:fence:billing');
    expect(keys.forStream('orders.created').meta).toBe('rs:{orders.created}:meta');
    expect(keys.forStream('orders.created').members('billing')).toBe('rs:{orders.created}:members:billing');
  });

  it('parses partition names back, and nothing else', () => {
    expect(keys.parsePartition('orders.created#3')).toEqual({ name: 'orders.created', index: 3 });
    expect(keys.parsePartition('orders.created#0')).toEqual({ name: 'orders.created', index: 0 });
    expect(keys.parsePartition('orders.created')).toBeUndefined();
    expect(keys.parsePartition('orders.created#03')).toBeUndefined();
    expect(keys.parsePartition('orders.created#x')).toBeUndefined();
    expect(keys.parsePartition('#3')).toBeUndefined();
  });
});
