--[[
  Schedules a delayed message: stores its fields and indexes it by due time. With an
  idempotency key, a repeat within the TTL schedules nothing.

  KEYS[1] delayed zset                     rs:{s}:delayed         (score = due time, ms)
  KEYS[2] delayed payload hash             rs:{s}:delayed:payloads (member -> cjson array of fields)
  KEYS[3] idempotency key (optional)       rs:{s}:idem:<key> — left out without a key, so
                                           that every key stays in the stream's cluster slot
  ARGV[1] due time, ms since epoch
  ARGV[2] member (the message id)
  ARGV[3] cjson-encoded array of field, value, ...
  ARGV[4] idempotency TTL, ms (used when KEYS[3] is given)

  Returns { member-or-first-id, added }.
]]
-- @include command-permissions
local checks = { { 'HSET', KEYS[2], 'm', 'v' }, { 'ZADD', KEYS[1], '0', 'm' } }
if #KEYS >= 3 then
  checks[#checks + 1] = { 'SET', KEYS[3], 'x', 'PX', '1' }
end
local refused = refusedCommand('schedule-delayed-3.lua', checks)
if refused then
  return refused
end
if #KEYS >= 3 then
  local existing = redis.call('GET', KEYS[3])
  if existing then
    return { existing, 0 }
  end
  redis.call('SET', KEYS[3], 'delayed:' .. ARGV[2], 'PX', ARGV[4])
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
return { 'delayed:' .. ARGV[2], 1 }
