--[[
  Safe retention: trims the stream below the oldest entry that any group still needs —
  its oldest pending entry, or its last-delivered id (DESIGN.md: nothing at or after any
  group's last-delivered id is removed) — so no group loses an unacked or unread entry
  and XINFO GROUPS `lag` stays a number.
  Approximate (MINID ~) so Redis only drops whole macro nodes, which is cheap.

  KEYS[1] stream key
  ARGV[1] "~" for approximate trimming or "=" for exact
  ARGV[2] optional "dry-run": compute minId only, trim nothing (the CLI's `trim --safe --dry-run`)

  Returns { trimmedCount, minId } — minId is "" when the stream has no groups
  (nothing is trimmed then: entries wait for their first group).
]]
-- @include command-permissions
local checks = { { 'XINFO', 'GROUPS', KEYS[1] }, { 'XPENDING', KEYS[1], 'g' } }
if ARGV[2] ~= 'dry-run' then
  checks[#checks + 1] = { 'XTRIM', KEYS[1], 'MINID', '0-1' }
end
local refused = refusedCommand('trim-acked-1.lua', checks)
if refused then
  return refused
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return { 0, '' }
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then
  return { 0, '' }
end

-- @include stream-ids

local min
for _, group in ipairs(groups) do
  local name, lastDelivered
  for i = 1, #group, 2 do
    if group[i] == 'name' then name = group[i + 1] end
    if group[i] == 'last-delivered-id' then lastDelivered = group[i + 1] end
  end
  local needed = lastDelivered
  local summary = redis.call('XPENDING', KEYS[1], name)
  if summary[1] > 0 and less(summary[2], needed) then
    needed = summary[2]
  end
  if min == nil or less(needed, min) then
    min = needed
  end
end
if ARGV[2] == 'dry-run' then
  return { 0, min }
end
local trimmed
if ARGV[1] == '~' then
  -- LIMIT 0: by default an approximate trim drops at most 100 macro nodes (10,000 entries)
  -- per call, less than a busy stream gains in one interval, so it would grow without bound.
  trimmed = redis.call('XTRIM', KEYS[1], 'MINID', '~', min, 'LIMIT', 0)
else
  trimmed = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1], min)
end
return { trimmed, min }
