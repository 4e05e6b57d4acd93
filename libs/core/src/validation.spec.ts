import { inspect } from 'node:util';
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

describe('passwords in URL options never reach an error', () => {
  const secret = 's3cret-pw';
  const messageOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return `${(error as Error).message} ${inspect(error)}`;
    }
    throw new Error('expected an error');
  };

  it.each([
    ['a bad cluster.rootNodes URL', { cluster: { rootNodes: [{ url: `redis://:${secret}@10.0.0.1:99999` }] } }, /cluster\.rootNodes\[0\]\.url/],
    ['cluster.rootNodes given as a string', { cluster: { rootNodes: `redis://admin:${secret}@10.0.0.1:6379` } }, /cluster\.rootNodes/],
    ['an unparsable url', { url: `redis://:${secret}@ho st:6379` }, /`url`.*a valid URL/],
    ['a password with an unencoded @ and /', { url: `redis://:${secret}/x@y@host:6379/0 ` }, /`url`/],
    ['an unparsable client.url', { client: { url: `rediss://u:${secret}@[::1` } }, /client\.url/],
    ['a url of another scheme', { url: `http://u:${secret}@host` }, /redis:\/\/ or rediss:\/\//],
  ])('%s', (_what, options, option) => {
    const text = messageOf(() => resolveConsumerOptions({ group: 'g', ...(options as object) }));
    expect(text).toMatch(option);
    expect(text).toContain('***');
    expect(text).not.toContain(secret);
  });
});
