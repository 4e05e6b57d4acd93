--[[
  Sets or grows the partition count of a logical stream (its metadata hash), and
  broadcasts a change on the hash's key as channel, so producers and workers pick the
  new count up at once (they also re-read it periodically: a missed broadcast is harmless).

  KEYS[1] metadata hash                    rs:{orders.created}:meta
  ARGV[1] requested count (decimal, >= 1)
  ARGV[2] mode: 'agree' stores the count only when none is stored (server and client
          option `partitions`); 'grow' stores it when none is stored or it is larger
          than the stored one (`redstream partitions <stream> <n>`). A smaller count is
          never stored (shrinking is refused: entries would be stranded).

  Returns { before, after }: the count stored before (0 when none) and after this call.
  The caller compares them with the request to report a mismatch or a refused shrink.
]]
-- @include command-permissions
local refused = refusedCommand('set-partitions-1.lua', {
  { 'HSET', KEYS[1], 'partitions', '1' },
  { 'PUBLISH', KEYS[1], 'x' },
})
if refused then
  return refused
end
local requested = tonumber(ARGV[1])
local stored = tonumber(redis.call('HGET', KEYS[1], 'partitions') or '0') or 0
local store = stored == 0 or (ARGV[2] == 'grow' and requested > stored)
if not store then
  return { stored, stored }
end
redis.call('HSET', KEYS[1], 'partitions', ARGV[1])
redis.call('PUBLISH', KEYS[1], ARGV[1])
return { stored, requested }
