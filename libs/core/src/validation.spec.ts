import { InvalidOptionError } from './errors/index.js';
import { KeyBuilder } from './keys.js';
import { resolveConsumerOptions } from './options.js';
import { StreamConsumer } from './consumer/stream-consumer.js';
import { validateGroupName, validateStreamName } from './validation.js';

describe('stream and group names', () => {
  it('rejects ":" in group names, since `billing` + key `eu:42` and `billing:eu` + key `42` would share a completion mark', () => {
    const keys = new KeyBuilder().forStream('orders');
    expect(keys.completed('billing', 'eu:42')).toBe(keys.completed('billing:eu', '42'));
    expect(() => resolveConsumerOptions({ group: 'billing:eu' })).toThrow(InvalidOptionError);
    expect(() => resolveConsumerOptions({ group: 'billing:eu' })).toThrow(/group.*"billing:eu".*":"/);
    expect(validateGroupName('billing-eu.v2')).toBe('billing-eu.v2');
  });

  it.each(['reply.abc', 'reply.', 'orders#3', 'has space', 'a{b}', ''])('rejects the stream name %j, naming what is reserved', (name) => {
    expect(() => validateStreamName(name)).toThrow(InvalidOptionError);
    expect(() => new StreamConsumer({ group: 'g' }).subscribe(name, () => undefined)).toThrow(InvalidOptionError);
  });

  it('says why reply.* and # are refused', () => {
    expect(() => validateStreamName('reply.x')).toThrow(/reserved for request-response reply streams/);
    expect(() => validateStreamName('orders#1')).toThrow(/reserved for partitions/);
  });

  it('accepts ordinary names, including ones that merely contain "reply"', () => {
    for (const name of ['orders.created', 'replyx', 'billing.reply.sent', 'a:b', 'emails_send-v2']) expect(validateStreamName(name)).toBe(name);
  });
});
