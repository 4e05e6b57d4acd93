import { readdirSync } from 'node:fs';
import { LuaKeyCountError } from '../errors/index.js';
import type { RedisConnection } from './connection.js';
import { LuaScript, Scripts } from './scripts.js';

/** A connection that records what would have been sent; the key-count check must refuse before that. */
function recordingConnection(): { connection: RedisConnection; sent: unknown[][] } {
  const sent: unknown[][] = [];
  const connection = { send: async (args: unknown[]) => void sent.push(args) } as unknown as RedisConnection;
  return { connection, sent };
}

describe('LuaScript', () => {
  it('refuses a call whose key count disagrees with the -<numKeys> suffix, before sending anything', async () => {
    const { connection, sent } = recordingConnection();
    await expect(Scripts.deadLetter.run(connection, ['rs:{s}'], ['g', '1-0', 'c', 0])).rejects.toThrow(LuaKeyCountError);
    await expect(Scripts.claimOwn.run(connection, ['rs:{s}', 'rs:{s}:dlq'], ['g', 'c', '1-0'])).rejects.toMatchObject({
      code: 'ERR_LUA_KEY_COUNT',
      message: expect.stringContaining('claim-own-1" was called with 2 keys; its name promises 1 keys'),
    });
    expect(sent).toEqual([]);
  });

  it('sends a call with the promised key count, and any count to a -n script', async () => {
    const { connection, sent } = recordingConnection();
    await Scripts.claimOwn.run(connection, ['rs:{s}'], ['g', 'c', '1-0']);
    await Scripts.completedKeys.run(connection, ['rs:{s}:completed:g:0', 'rs:{s}:completed:g:1', 'rs:{s}:completed:g:2', 'rs:{s}:completed:g:3'], ['a']);
    await Scripts.scheduleDelayed.run(connection, ['rs:{s}:delayed', 'rs:{s}:delayed:payloads'], [1, 'm', '[]', 1]);
    expect(sent.map((args) => [args[0], args[2]])).toEqual([['EVALSHA', '1'], ['EVALSHA', '4'], ['EVALSHA', '2']]);
  });

  it('refuses a script name without a key-count suffix', () => {
    expect(() => new LuaScript('dead-letter', 'return 1')).toThrow(/must be named <step>-<numKeys> or <step>-n/);
  });

  it('every file in lua/ loads and carries a key-count suffix', () => {
    const files = readdirSync(new URL('../../lua/', import.meta.url)).filter((f) => f.endsWith('.lua'));
    for (const file of files) expect(LuaScript.load(file.replace(/\.lua$/, '')).source.length).toBeGreaterThan(0);
    expect(files.length).toBe(Object.keys(Scripts).length);
  });

  it('expands `-- @include <helper>` lines into the helper source, so Redis gets one self-contained text', () => {
    const script = LuaScript.load('trim-acked-1');
    expect(script.source).not.toMatch(/^-- @include/m);
    expect(script.source).toContain('Stream id helpers shared by scripts');
  });
});
