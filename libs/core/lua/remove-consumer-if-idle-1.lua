--[[
  Removes a consumer from its group only when it owns no pending entries: XGROUP
  DELCONSUMER would otherwise drop them from the group's pending list for good.

  KEYS[1] stream key
  ARGV[1] group
  ARGV[2] consumer
  ARGV[3] only if idle at least this many ms (0 for any idle time)

  Returns 1 when removed, 0 when it still owns entries or was active too recently.
]]
-- @include command-permissions
local refused = refusedCommand('remove-consumer-if-idle-1.lua', {
  { 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1] },
  { 'XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2] },
})
if refused then
  return refused
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then
  return 0
end
for _, consumer in ipairs(consumers) do
  local name, pending, idle
  for i = 1, #consumer, 2 do
    if consumer[i] == 'name' then name = consumer[i + 1] end
    if consumer[i] == 'pending' then pending = consumer[i + 1] end
    if consumer[i] == 'idle' then idle = consumer[i + 1] end
  end
  if name == ARGV[2] then
    if pending == 0 and idle >= tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
      return 1
    end
    return 0
  end
end
return 0
