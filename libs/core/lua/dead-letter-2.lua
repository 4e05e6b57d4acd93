--[[
  Dead-letters one entry: copies it with the failure details to the dead-letter stream
  and acknowledges it in the group, atomically, so an entry is never both lost and
  never both pending and dead-lettered.

  KEYS[1] stream key                       rs:{s}
  KEYS[2] dead-letter stream key           rs:{s}:dlq
  ARGV[1] group
  ARGV[2] entry id
  ARGV[3] this consumer: only an entry it still owns is moved (not one another consumer
          took over and may be running)
  ARGV[4] dead-letter stream max length (approximate trim), 0 for no cap
  ARGV[5..] field, value, ... (original fields followed by the dlq* fields)

  Returns { dlqEntryId, droppedByCap, acked } — acked is 0 when the entry was no longer
  pending on this consumer (acked, or claimed by another one), in which case nothing is written.
]]
-- @include command-permissions
local refused = refusedCommand('dead-letter-2.lua', {
  { 'XADD', KEYS[2], '*', 'f', 'v' },
  { 'XACK', KEYS[1], ARGV[1], ARGV[2] },
})
if refused then
  return refused
end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
if #pending == 0 then
  return { false, 0, 0 }
end
local before = redis.call('XLEN', KEYS[2])
local dlqId
if tonumber(ARGV[4]) > 0 then
  dlqId = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', unpack(ARGV, 5))
else
  dlqId = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 5))
end
local after = redis.call('XLEN', KEYS[2])
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return { dlqId, before + 1 - after, acked }
