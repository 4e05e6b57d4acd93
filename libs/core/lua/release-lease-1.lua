--[[
  Ordered consumption: gives a partition's lease up, only if it still holds this
  consumer's token (a lease that expired and was taken by another is left alone).

  KEYS[1] owner key of the partition and group
  ARGV[1] the lease value "<consumer> <token>"

  Returns 1 when the lease was released, 0 when it was not this consumer's any more.
]]
-- @include command-permissions
local refused = refusedCommand('release-lease-1.lua', {
  { 'DEL', KEYS[1] },
})
if refused then
  return refused
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
