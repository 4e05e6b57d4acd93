--[[
  Hands entries this consumer read but never started back to the group at shutdown: sets
  their idle time to ARGV[3] ms (XCLAIM IDLE, JUSTID so no delivery is counted), so the
  next reclaim pass of any other consumer takes them instead of waiting for
  `claim.minIdleMs`. Only entries still owned by this consumer are touched, so a hand-back
  never moves an entry another consumer claimed meanwhile.

  KEYS[1] stream key
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3] idle time to set, ms
  ARGV[4..] entry ids

  Returns how many entries were handed back.
]]
-- @include command-permissions
local refused = refusedCommand('hand-back-1.lua', {
  { 'XPENDING', KEYS[1], ARGV[1] },
  { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', '0-1', 'IDLE', '0', 'JUSTID' },
})
if refused then
  return refused
end
local handedBack = 0
for i = 4, #ARGV do
  local id = ARGV[i]
  local entry = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #entry == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'IDLE', ARGV[3], 'JUSTID')
    handedBack = handedBack + 1
  end
end
return handedBack
