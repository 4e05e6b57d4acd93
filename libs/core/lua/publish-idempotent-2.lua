--[[
  Idempotent publish: adds the entry only if no entry was published with this
  idempotency key within the TTL; the mark and the XADD happen atomically.

  KEYS[1] stream key                       rs:{orders.created}
  KEYS[2] idempotency key                  rs:{orders.created}:idem:<key>
  ARGV[1] TTL of the mark, ms
  ARGV[2..] field, value, field, value ... of the entry

  Returns { entryId, added } — added is 1 for a new entry, 0 when the key was seen and
  entryId is the id first written for it.
]]
-- @include command-permissions
local refused = refusedCommand('publish-idempotent-2.lua', {
  { 'XADD', KEYS[1], '*', 'f', 'v' },
  { 'SET', KEYS[2], 'x', 'PX', '1' },
})
if refused then
  return refused
end
local existing = redis.call('GET', KEYS[2])
if existing then
  return { existing, 0 }
end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('SET', KEYS[2], id, 'PX', ARGV[1])
return { id, 1 }
