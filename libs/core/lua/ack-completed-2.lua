--[[
  Acknowledges entries and marks their idempotency keys completed for the group in one
  step, so a crash can never leave an entry acked but unmarked (processed twice later)
  or marked but unacked. The marks are members of the group's current time bucket
  (consumer/completion-marks.ts): one SADD for all of them.

  KEYS[1]    stream key                    rs:{s} (or a level stream, rs:{s}:high)
  KEYS[2]    completion bucket             rs:{s}:completed:<group>:<bucketStartMs>
  ARGV[1]    group
  ARGV[2]    TTL of the marks, ms
  ARGV[3]    end of the bucket, ms since epoch (the worker's clock)
  ARGV[4]    n, the number of entry ids
  ARGV[5 .. 4+n]       entry ids
  ARGV[5+n ..]         idempotency keys of those entries

  The bucket expires a TTL after its end, or a TTL after Redis' own clock (TIME) when that
  is later, so a mark lives at least the TTL even when the worker's clock is behind.
  Returns the number of entries acknowledged.
]]
-- @include command-permissions
local refused = refusedCommand('ack-completed-2.lua', {
  { 'XACK', KEYS[1], ARGV[1], '0-1' }, { 'SADD', KEYS[2], 'x' }, { 'PEXPIREAT', KEYS[2], '1' },
})
if refused then
  return refused
end
-- XACK first: it is allowed when Redis is at maxmemory (noeviction) and SADD is not, but
-- once a script has written, Redis lets it finish, so keyed acks still drain a full Redis.
-- In chunks: Lua's unpack fails above ~8,000 values, and ack.batchSize may be larger.
local n = tonumber(ARGV[4])
local acked = 0
for first = 5, 4 + n, 1000 do
  acked = acked + redis.call('XACK', KEYS[1], ARGV[1], unpack(ARGV, first, math.min(first + 999, 4 + n)))
end
if #ARGV > 4 + n then
  for first = 5 + n, #ARGV, 1000 do
    redis.call('SADD', KEYS[2], unpack(ARGV, first, math.min(first + 999, #ARGV)))
  end
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', math.max(tonumber(ARGV[3]), now) + tonumber(ARGV[2])))
end
return acked
