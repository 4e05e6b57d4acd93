--[[
  Moves due delayed messages into the stream. Each message is removed from the zset and
  the hash in the same script that XADDs it, so many promoters may run at once and every
  message is added exactly once.

  KEYS[1] stream key
  KEYS[2] delayed zset
  KEYS[3] delayed payload hash
  ARGV[1] now, ms since epoch
  ARGV[2] at most this many messages per call

  Returns the number of messages promoted.
]]
-- @include command-permissions
local refused = refusedCommand('promote-delayed-3.lua', {
  { 'XADD', KEYS[1], '*', 'f', 'v' },
  { 'ZREM', KEYS[2], 'm' },
  { 'HDEL', KEYS[3], 'm' },
})
if refused then
  return refused
end
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local promoted = 0
for _, member in ipairs(due) do
  local encoded = redis.call('HGET', KEYS[3], member)
  redis.call('ZREM', KEYS[2], member)
  redis.call('HDEL', KEYS[3], member)
  if encoded then
    redis.call('XADD', KEYS[1], '*', unpack(cjson.decode(encoded)))
    promoted = promoted + 1
  end
end
return promoted
