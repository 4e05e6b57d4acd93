--[[
  Claims one tick of a schedule and publishes it, atomically, so that however many
  schedulers run the same schedule each tick is published once: only the caller that saw
  the stored `next` still in place moves it on. The idempotency key of the tick (name +
  tick time) is a second guard: a tick already published adds nothing.

  KEYS[1] schedule hash                    rs:{s}:schedule:<name>  (definition, next, last*, runs)
  KEYS[2] stream key                       rs:{s}
  KEYS[3] idempotency key of the tick      rs:{s}:idem:schedule:<name>:<tick ms>
  ARGV[1] the `next` the caller planned from (ms, as stored)
  ARGV[2] tick to publish (ms), or '' to publish nothing (a missed tick skipped)
  ARGV[3] the new `next` (ms), or '' when the schedule is finished
  ARGV[4] TTL of the idempotency mark, ms
  ARGV[5] now, ms
  ARGV[6..] field, value, ... of the entry

  Returns { claimed, entryId } — claimed 0 when `next` had moved (another scheduler took the
  tick, or the schedule was changed or removed); entryId false when nothing was published.
]]
-- @include command-permissions
local refused = refusedCommand('fire-schedule-3.lua', {
  { 'XADD', KEYS[2], '*', 'f', 'v' },
  { 'SET', KEYS[3], 'x', 'PX', '1' },
  { 'HSET', KEYS[1], 'f', 'v' },
  { 'HINCRBY', KEYS[1], 'f', '1' },
})
if refused then
  return refused
end
if redis.call('HGET', KEYS[1], 'next') ~= ARGV[1] then
  return { 0, false }
end
local entryId = false
if ARGV[2] ~= '' and not redis.call('GET', KEYS[3]) then
  entryId = redis.call('XADD', KEYS[2], '*', unpack(ARGV, 6))
  redis.call('SET', KEYS[3], entryId, 'PX', ARGV[4])
  redis.call('HSET', KEYS[1], 'lastTick', ARGV[2], 'lastRunAt', ARGV[5], 'lastEntryId', entryId)
  redis.call('HINCRBY', KEYS[1], 'runs', 1)
end
redis.call('HSET', KEYS[1], 'next', ARGV[3])
return { 1, entryId }
