import { streamNameForArgument, streamNameForPattern } from './pattern-names.js';

describe('streamNameForPattern', () => {
  it('keeps ordinary string patterns as they are', () => {
    for (const pattern of ['orders.created', 'math:sum', 'user/created', 'a-b_c~d']) expect(streamNameForPattern(pattern)).toBe(pattern);
  });

  it('percent-encodes what a stream name cannot hold and what the mapping uses itself', () => {
    expect(streamNameForPattern('orders created')).toBe('orders%20created');
    expect(streamNameForPattern('{not json}')).toBe('%7Bnot%20json%7D');
    expect(streamNameForPattern('a#1')).toBe('a%231');
    expect(streamNameForPattern('50%')).toBe('50%25');
    expect(streamNameForPattern('k=v,w')).toBe('k%3Dv%2Cw');
    expect(streamNameForPattern('bestellung.überfällig')).toBe('bestellung.%C3%BCberf%C3%A4llig');
    expect(streamNameForPattern('')).toBe('%22%22');
  });

  it('maps an object pattern and its Nest route to the same readable name', () => {
    expect(streamNameForPattern({ cmd: 'sum' })).toBe('cmd=sum');
    expect(streamNameForPattern('{"cmd":"sum"}')).toBe('cmd=sum');
    expect(streamNameForPattern({ version: 2, cmd: 'sum' })).toBe('cmd=sum,version=2');
    expect(streamNameForPattern('{"cmd":"sum","version":2}')).toBe('cmd=sum,version=2');
    expect(streamNameForPattern({ cmd: 'add item', nested: { a: [1] } })).toBe('cmd=add%20item,nested=%7B%22a%22:[1]%7D');
  });

  it('keeps patterns apart that differ only in the type of a value', () => {
    const names = [{ v: 2 }, { v: '2' }, { v: true }, { v: 'true' }, { v: null }, { v: 'null' }, { v: '' }].map(streamNameForPattern);
    expect(new Set(names).size).toBe(names.length);
    expect(streamNameForPattern('v=2')).not.toBe(streamNameForPattern({ v: 2 }));
  });

  it('never yields a name in the reply namespace', () => {
    expect(streamNameForPattern('reply.abc')).toBe('reply%2Eabc');
    expect(streamNameForPattern({ 'reply.x': 1 })).toBe('reply%2Ex=1');
  });

  it('always yields a name without whitespace, braces or #', () => {
    for (const pattern of ['a b', '{}', '{"a":{"b":"c d"}}', 'x#y', '\t', '{"x":undefined}']) {
      expect(streamNameForPattern(pattern)).toMatch(/^[^\s{}#]+$/);
    }
  });
});

describe('streamNameForArgument (CLI)', () => {
  it('takes a JSON object as an object pattern', () => {
    expect(streamNameForArgument('{"cmd":"sum"}')).toBe('cmd=sum');
    expect(streamNameForArgument('{ "version": 2, "cmd": "sum" }')).toBe('cmd=sum,version=2');
  });

  it('takes a valid stream name, mapped ones included, as it is', () => {
    expect(streamNameForArgument('orders.created')).toBe('orders.created');
    expect(streamNameForArgument('cmd=sum')).toBe('cmd=sum');
    expect(streamNameForArgument('orders%20created')).toBe('orders%20created');
  });

  it('maps a string pattern a stream name cannot hold', () => {
    expect(streamNameForArgument('orders created')).toBe('orders%20created');
    expect(streamNameForArgument('reply.abc')).toBe('reply%2Eabc');
  });
});
