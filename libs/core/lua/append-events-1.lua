--[[
  Appends a batch of lifecycle events to a stream's capped events stream: one call for
  many events, so that `events: true` costs one command per flush, not one per event.

  KEYS[1] events stream                    rs:{s}:events
  ARGV[1] approximate cap (MAXLEN ~)
  ARGV[2..] per event: the number of field/value strings n, then those n strings

  Returns the number of events added.
]]
-- @include command-permissions
local refused = refusedCommand('append-events-1.lua', {
  { 'XADD', KEYS[1], 'MAXLEN', '~', '1', '*', 'f', 'v' },
})
if refused then
  return refused
end
local i, added = 2, 0
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, i + 1, i + n))
  added = added + 1
  i = i + n + 1
end
return added
