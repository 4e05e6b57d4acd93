--[[
  Keeps entries that this consumer is still working on from being reclaimed: resets
  their idle time (XCLAIM JUSTID does not count a delivery), but only for entries still
  owned by this consumer, so a refresh never steals an entry back from another one.

  KEYS[1] stream key
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3..] entry ids

  Returns the ids no longer owned by this consumer (claimed elsewhere or acked).
]]
-- @include command-permissions
local refused = refusedCommand('refresh-leases-1.lua', {
  { 'XPENDING', KEYS[1], ARGV[1] },
  { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', '0-1', 'JUSTID' },
})
if refused then
  return refused
end
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #entry == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
  else
    lost[#lost + 1] = id
  end
end
return lost
