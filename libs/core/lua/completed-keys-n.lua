--[[
  Which of these idempotency keys has the group completed? Reads the completion buckets a
  mark younger than the TTL can be in (consumer/completion-marks.ts) for all the keys of
  one read at once.

  KEYS[1..n] completion buckets            rs:{s}:completed:<group>:<bucketStartMs>
  ARGV[1..]  idempotency keys

  Returns one integer per key, in ARGV's order: 1 when some bucket holds it, else 0.
]]
-- @include command-permissions
local refused = refusedCommand('completed-keys-n.lua', { { 'EXISTS', KEYS[1] }, { 'SMISMEMBER', KEYS[1], 'x' } })
if refused then
  return refused
end
local found = {}
for i = 1, #ARGV do
  found[i] = 0
end
for k = 1, #KEYS do
  if redis.call('EXISTS', KEYS[k]) == 1 then
    -- In chunks: Lua's unpack fails above ~8,000 values, and readCount may be larger.
    for first = 1, #ARGV, 1000 do
      local member = redis.call('SMISMEMBER', KEYS[k], unpack(ARGV, first, math.min(first + 999, #ARGV)))
      for i = 1, #member do
        if member[i] == 1 then
          found[first + i - 1] = 1
        end
      end
    end
  end
end
return found
