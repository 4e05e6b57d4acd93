--[[
  Takes back an entry this consumer still owns, for a retry: XCLAIM counts a new
  delivery, unless ARGV[4] is 'keep-count' (an entry held back by RateLimitedError: RETRYCOUNT
  keeps XPENDING's counter as it was). An entry that another consumer reclaimed meanwhile, or
  that was acked or deleted, is left alone.

  KEYS[1] stream key
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3] entry id
  ARGV[4] optional: 'keep-count'

  Returns { deliveryCount, fields } — fields is false when the entry was deleted from
  the stream (the caller acks it); nil when the entry is no longer ours.
]]
-- @include command-permissions
local refused = refusedCommand('claim-own-1.lua', {
  { 'XPENDING', KEYS[1], ARGV[1] },
  { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', ARGV[3] },
})
if refused then
  return refused
end
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #owned == 0 then
  return nil
end
local count = owned[1][4] + 1
local claimed
if ARGV[4] == 'keep-count' then
  count = owned[1][4]
  claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'RETRYCOUNT', count)
else
  claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3])
end
local entry = claimed[1]
if entry == nil or entry == false then
  return { count, false }
end
return { count, entry[2] }
