--[[
  Records what Redis itself does not keep about one entry (a failure with its error, later a
  handler's progress) in the entry's tracking hash, and (re)sets the hash's TTL, in one step so
  that a hash is never left without one. Called only off the success path.

  KEYS[1] tracking hash                    rs:{s}:job:<entryId>
  ARGV[1] TTL of the hash, ms
  ARGV[2..] field, value, ... (fields are `<group>:<name>`)

  Returns 1.
]]
-- @include command-permissions
local refused = refusedCommand('track-job-1.lua', {
  { 'HSET', KEYS[1], 'f', 'v' },
  { 'PEXPIRE', KEYS[1], '1' },
})
if refused then
  return refused
end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
