--[[
  Ordered consumption: takes a partition's lease for this consumer, or renews the one it
  holds. A free lease is taken with a new fencing token (INCR of the partition's fence
  counter); a held one is renewed only when it still holds exactly this consumer's token,
  so a consumer whose lease expired and was taken by another can never extend it.

  KEYS[1] owner key of the partition and group (value "<consumer> <token>", PX)
  KEYS[2] fence counter of the partition and group
  ARGV[1] this consumer
  ARGV[2] lease TTL, ms
  ARGV[3] the token this consumer holds ('' when it holds none)

  Returns { 1, token } when the lease is this consumer's for ARGV[2] ms from now, or
  { 0, holder value, ms left of the holder's lease } when it is not.
]]
-- @include command-permissions
local refused = refusedCommand('take-lease-2.lua', {
  { 'INCR', KEYS[2] },
  { 'SET', KEYS[1], 'x', 'PX', '1' },
  { 'PEXPIRE', KEYS[1], '1' },
})
if refused then
  return refused
end
local current = redis.call('GET', KEYS[1])
if not current then
  local token = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
  return { 1, tostring(token) }
end
if ARGV[3] ~= '' and current == ARGV[1] .. ' ' .. ARGV[3] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return { 1, ARGV[3] }
end
return { 0, current, redis.call('PTTL', KEYS[1]) }
