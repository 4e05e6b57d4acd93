--[[
  The opt-in hard cap of retention: trims the stream exactly to a length (MAXLEN) or
  below an id (MINID) even where a group has not read everything yet, and counts how many
  of the removed entries some group had not read (id after that group's last-delivered
  id) — the messages the cap really lost. Removed entries that every group had already
  read (acked, or pending and still held by a handler) are not counted as unread.

  KEYS[1] stream key
  ARGV[1] "MAXLEN" or "MINID"
  ARGV[2] the length to keep, or the lowest id to keep

  Returns { trimmed, unreadTrimmed }.
]]
-- @include command-permissions
local refused = refusedCommand('trim-capped-1.lua', {
  { 'XINFO', 'GROUPS', KEYS[1] },
  { 'XRANGE', KEYS[1], '-', '+' },
  { 'XTRIM', KEYS[1], 'MAXLEN', '0' },
})
if refused then
  return refused
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 0, 0 }
end

-- @include stream-ids
-- Counts entries from the start of the stream up to `last` (an id, or "(id" for
-- exclusive), at most `limit`, reading in bounded chunks.
local function countUpTo(last, limit)
  local counted = 0
  local from = '-'
  while counted < limit do
    local batch = redis.call('XRANGE', KEYS[1], from, last, 'COUNT', math.min(1000, limit - counted))
    if #batch == 0 then break end
    counted = counted + #batch
    from = '(' .. batch[#batch][1]
  end
  return counted
end

-- Everything up to the smallest last-delivered id was read by every group; with no
-- group nothing was read.
local readByAll = '0-0'
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
for index, group in ipairs(groups) do
  for i = 1, #group, 2 do
    if group[i] == 'last-delivered-id' then
      if index == 1 or less(group[i + 1], readByAll) then readByAll = group[i + 1] end
    end
  end
end

local readTrimmed
if ARGV[1] == 'MAXLEN' then
  local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[2])
  if excess <= 0 then
    return { 0, 0 }
  end
  readTrimmed = countUpTo(readByAll, excess)
else
  local last = readByAll
  if not less(readByAll, ARGV[2]) then last = '(' .. ARGV[2] end
  readTrimmed = countUpTo(last, redis.call('XLEN', KEYS[1]))
end
local trimmed = redis.call('XTRIM', KEYS[1], ARGV[1], '=', ARGV[2])
return { trimmed, trimmed - readTrimmed }
