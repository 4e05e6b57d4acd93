--[[
  Ordered consumption, a new owner's first step: while it holds the partition's lease
  (checked with its fencing token in the same atomic step), takes over every entry of the
  partition pending on any consumer of the group, oldest first (XAUTOCLAIM from a cursor,
  no idle minimum: the lease, not the idle time, says who may have them). Ids deleted from
  the stream while pending are acked here.

  KEYS[1] partition stream
  KEYS[2] owner key of the partition and group
  ARGV[1] group
  ARGV[2] this consumer
  ARGV[3] the lease value "<consumer> <token>"
  ARGV[4] cursor ('0-0' to start)
  ARGV[5] count
  ARGV[6..] optional: ids this consumer was handed and let go without starting them (its lease
          lapsed locally, or a reply came back after a catch-up began anew): one still pending
          on this consumer is claimed without counting a delivery (RETRYCOUNT keeps XPENDING's
          counter), so repeated catch-ups never dead-letter (max-deliveries) an entry that never ran

  Returns { next cursor, entries, deleted ids, delivery counts, ids not pending here } (a
  count per entry, as XPENDING reports it after this claim; the last list: the ARGV[6..] ids
  that were not pending on this consumer before the claim, which the caller forgets), or
  { 'lost' } when the lease is not this consumer's: then nothing was claimed.
]]
-- @include command-permissions
local refused = refusedCommand('claim-partition-2.lua', {
  { 'XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', '0-0', 'COUNT', '1' },
  { 'XPENDING', KEYS[1], ARGV[1] },
  { 'XACK', KEYS[1], ARGV[1], '0-1' },
  { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], '0', '0-1', 'RETRYCOUNT', '1', 'JUSTID' },
})
if refused then
  return refused
end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then
  return { 'lost' }
end
local kept = {}
local notPendingHere = {}
for i = 6, #ARGV do
  local row = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if row[1] then
    kept[ARGV[i]] = row[1][4]
  else
    notPendingHere[#notPendingHere + 1] = ARGV[i]
  end
end
local reply = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[4], 'COUNT', ARGV[5])
local live = {}
local counts = {}
for _, entry in ipairs(reply[2]) do
  if entry and entry[2] then
    live[#live + 1] = entry
    if kept[entry[1]] then
      redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, entry[1], 'RETRYCOUNT', kept[entry[1]], 'JUSTID')
      counts[#counts + 1] = kept[entry[1]]
    else
      local row = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1)
      counts[#counts + 1] = row[1] and row[1][4] or 1
    end
  end
end
local deleted = reply[3] or {}
if #deleted > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(deleted))
end
return { reply[1], live, deleted, counts, notPendingHere }
