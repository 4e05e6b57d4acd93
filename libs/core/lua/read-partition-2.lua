--[[
  Ordered consumption: the owner's read of new entries of a partition, fenced. Only while
  the partition's lease holds this consumer's exact token are entries taken (XREADGROUP >,
  without BLOCK, which scripts may not use); a read by a consumer whose lease expired or
  was taken over — however late it reaches Redis — takes nothing, so new entries are only
  ever delivered to the partition's current owner.

  KEYS[1] partition stream
  KEYS[2] owner key of the partition and group
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3] the lease value "<consumer> <token>"
  ARGV[4] count

  Returns { 'ok', entries } (entries may be empty), or { 'lost' } when the lease is not this
  consumer's: then nothing was read.
]]
-- @include command-permissions
local refused = refusedCommand('read-partition-2.lua', {
  { 'XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', '1', 'STREAMS', KEYS[1], '>' },
})
if refused then
  return refused
end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then
  return { 'lost' }
end
local reply = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[4], 'STREAMS', KEYS[1], '>')
if not reply then
  return { 'ok', {} }
end
return { 'ok', reply[1][2] }
