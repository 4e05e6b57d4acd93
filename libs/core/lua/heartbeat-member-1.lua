--[[
  Ordered consumption: one heartbeat of a consumer in its group's member list, or its
  leave. Expired members are dropped first, so the list returned holds only consumers that
  beat within their TTL. Time is Redis's (TIME): the workers' clocks do not matter.

  KEYS[1] members zset of the group on the logical stream (member -> expiry ms)
  ARGV[1] this consumer
  ARGV[2] TTL of this heartbeat, ms (0: leave now)

  Returns the live members, in no particular order.
]]
-- @include command-permissions
local refused = refusedCommand('heartbeat-member-1.lua', {
  { 'ZREMRANGEBYSCORE', KEYS[1], '-inf', '0' },
  { 'ZADD', KEYS[1], '0', ARGV[1] },
  { 'ZREM', KEYS[1], ARGV[1] },
  { 'PEXPIRE', KEYS[1], '1' },
})
if refused then
  return refused
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ttl > 0 then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
  -- The list outlives its last member by a while, then goes away with the group's traffic.
  redis.call('PEXPIRE', KEYS[1], ttl * 10)
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return redis.call('ZRANGE', KEYS[1], 0, -1)
