import { jest } from '@jest/globals';
import { decodeEnvelope, encodeEnvelope, fieldsToObject, payloadBytesOver } from './envelope.js';
import { DecodeError, PayloadTooLargeError, SerializationError } from './errors/index.js';

describe('wire format', () => {
  it('encodes flat fields readable from redis-cli', () => {
    const fields = fieldsToObject(encodeEnvelope('s', { data: { a: 1 }, headers: { tenant: 't1' } }, undefined, 1_700_000_000_000));
    expect(fields).toEqual({
      data: '{"a":1}',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ts: '1700000000000',
      headers: '{"tenant":"t1"}',
    });
  });

  it('uses the idempotency key as message id and carries it as a header', () => {
    const fields = encodeEnvelope('s', { data: 1, idempotencyKey: 'order-9' });
    const decoded = decodeEnvelope('1-0', fields);
    expect(decoded.messageId).toBe('order-9');
    expect(decoded.idempotencyKey).toBe('order-9');
  });

  it.each(['k-1', 'with "quote"', 'back\\slash', 'tab\tkey', 'ünïcode', 'line\u2028sep', ''])(
    'decodes the headers of a keyed entry as the producer wrote them, key %j (recognised without a parse, or parsed)',
    (key) => {
      const decoded = decodeEnvelope('1-1', encodeEnvelope('s', { data: 1, idempotencyKey: key }));
      expect(decoded.headers).toEqual({ 'idempotency-key': key });
      expect(decoded.idempotencyKey).toBe(key);
      expect(decoded.messageId).toBe(key);
    },
  );

  it('parses key-only headers that name another key than the id, and refuses a raw control character as JSON.parse does', () => {
    expect(decodeEnvelope('1-1', ['data', '1', 'id', 'a', 'headers', '{"idempotency-key":"b"}']).idempotencyKey).toBe('b');
    expect(() => decodeEnvelope('1-1', ['data', '1', 'id', 'a\u0001', 'headers', '{"idempotency-key":"a\u0001"}'])).toThrow(DecodeError);
  });

  it('round-trips request fields', () => {
    const decoded = decodeEnvelope('5-1', encodeEnvelope('s', { data: null, replyTo: 'rs:{reply.x}', correlationId: 'c1' }));
    expect(decoded).toMatchObject({ data: null, replyTo: 'rs:{reply.x}', correlationId: 'c1', headers: undefined });
  });

  it('rejects what has no JSON form with a SerializationError naming the stream', () => {
    expect(() => encodeEnvelope('orders', { data: undefined })).toThrow(SerializationError);
    expect(() => encodeEnvelope('orders', { data: { n: 1n } })).toThrow(/stream "orders"/);
    expect(() => encodeEnvelope('orders', { data: 1, headers: { n: 5 as unknown as string } })).toThrow(/header "n" must be a string/);
  });

  it('decodes entries written by other programs when they follow the format', () => {
    const decoded = decodeEnvelope('1700000000123-0', ['data', '"x"', 'extra', 'kept']);
    expect(decoded).toMatchObject({ data: 'x', messageId: '1700000000123-0', timestamp: 1700000000123 });
  });

  it.each([
    [['payload', '{}'], /no `data` field/],
    [['data', '{not json'], /field `data` is not valid/],
    [['data', '1', 'headers', '[1]'], /`headers` must be a JSON object/],
    [['data', '1', 'headers', '{"a":1}'], /`headers` must be a JSON object of strings/],
    [['data', '1', 'headers', 'nope'], /`headers` is not JSON/],
  ])('throws a DecodeError naming the problem for %j', (fields, message) => {
    expect(() => decodeEnvelope('9-9', fields)).toThrow(DecodeError);
    expect(() => decodeEnvelope('9-9', fields)).toThrow(message);
  });
});

describe('payloadBytesOver', () => {
  it('counts UTF-8 bytes of every field name and value, exactly at the limit', () => {
    const fields = ['data', '"é€"', 'id', 'x'];
    const bytes = 4 + 7 + 2 + 1; // "é€" with quotes: 1 + 2 + 3 + 1
    expect(payloadBytesOver(fields, bytes)).toBeUndefined();
    expect(payloadBytesOver(fields, bytes - 1)).toBe(bytes);
    expect(payloadBytesOver(['data', 'x'.repeat(100)], 50)).toBe(104);
  });

  it('rejects an oversized entry in decodeEnvelope before the serializer sees it', () => {
    const serializer = { serialize: JSON.stringify, deserialize: jest.fn(JSON.parse) };
    expect(() => decodeEnvelope('1-1', ['data', JSON.stringify('x'.repeat(200))], serializer, 100, 's')).toThrow(PayloadTooLargeError);
    expect(serializer.deserialize).not.toHaveBeenCalled();
  });
});
