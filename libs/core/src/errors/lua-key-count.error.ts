import { RedstreamError } from './redstream.error.js';

/**
 * A Lua step was called with a number of keys its file name does not promise
 * (`dead-letter-2.lua` takes 2 keys, `completed-keys-n.lua` any number): a programming
 * error inside redstream, refused before anything reaches Redis.
 */
export class LuaKeyCountError extends RedstreamError {
  constructor(
    readonly script: string,
    readonly given: number | undefined,
    expected: string,
  ) {
    super(
      'ERR_LUA_KEY_COUNT',
      given === undefined
        ? `Lua script "${script}" must be named <step>-<numKeys> or <step>-n; expected ${expected}.`
        : `Lua script "${script}" was called with ${given} keys; its name promises ${expected}. Fix the caller or rename the file.`,
    );
  }
}
