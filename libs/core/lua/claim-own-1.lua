--[[
  Takes back an entry this consumer still owns, for a retry: XCLAIM counts a new
  delivery. An entry that another consumer reclaimed meanwhile, or that was acked or
  deleted, is left alone.

  KEYS[1] stream key
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3] entry id

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
local claimed = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3])
local entry = claimed[1]
if entry == nil or entry == false then
  return { owned[1][4] + 1, false }
end
return { owned[1][4] + 1, entry[2] }
