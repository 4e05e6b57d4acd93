--[[
  Acknowledges entries and marks their idempotency keys completed for the group in one
  step, so a crash can never leave an entry acked but unmarked (processed twice later)
  or marked but unacked.

  KEYS[1]    stream key                    rs:{s}
  KEYS[2..n] completion marks              rs:{s}:done:<group>:<key>, one per entry
  ARGV[1]    group
  ARGV[2]    TTL of the marks, ms
  ARGV[3..]  entry ids, in the order of KEYS[2..n]

  Returns the number of entries acknowledged.
]]
-- @include command-permissions
-- SET is checked once, on the first mark, not on each: Redis refuses the EVALSHA itself, before
-- the script runs, unless the user may read and write every key in KEYS (EVAL's key spec), which
-- is all SET needs of a key; what is left to check is the command, the same for every mark.
-- One check per mark cost ~0.5-1 us per keyed entry (test/production/refused-writes.test.ts
-- covers both refusals).
local checks = { { 'XACK', KEYS[1], ARGV[1], '0-1' } }
if #KEYS > 1 then
  checks[2] = { 'SET', KEYS[2], 'x', 'PX', '1' }
end
local refused = refusedCommand('ack-completed-n.lua', checks)
if refused then
  return refused
end
-- XACK first: it is allowed when Redis is at maxmemory (noeviction) and SET is not, but
-- once a script has written, Redis lets it finish, so keyed acks still drain a full Redis.
-- In chunks: Lua's unpack fails above ~8,000 values, and ack.batchSize may be larger.
local acked = 0
for first = 3, #ARGV, 1000 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, first, math.min(first + 999, #ARGV)))
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[i + 1], 'PX', ARGV[2])
end
return acked
