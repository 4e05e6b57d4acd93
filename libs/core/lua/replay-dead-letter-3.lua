--[[
  Replays one dead letter: re-publishes its original fields (without the dlq* details) to
  the stream, marks it replayed and deletes it from the dead-letter stream, atomically.
  A replay killed at any point therefore leaves each dead letter either untouched or
  replayed exactly once; running it again finishes the rest. The mark is keyed by the
  original entry id, so a second dead letter of the same entry (another group gave up
  on it too) is removed without re-publishing the message a second time.

  KEYS[1] stream key                       rs:{s}
  KEYS[2] dead-letter stream key           rs:{s}:dlq
  KEYS[3] replay mark                      rs:{s}:replayed:<dlqOriginalId>
  ARGV[1] dead-letter entry id
  ARGV[2] TTL of the replay mark, ms
  ARGV[3..] names of the fields to strip (the dlq* details)

  Returns { entryId, replayed } — replayed is 1 when the message was added as entryId,
  0 when the mark shows it was already replayed as entryId; entryId is nil when the dead
  letter no longer exists (replayed or purged meanwhile).
]]
-- @include command-permissions
local refused = refusedCommand('replay-dead-letter-3.lua', {
  { 'XADD', KEYS[1], '*', 'f', 'v' },
  { 'SET', KEYS[3], 'x', 'PX', '1' },
  { 'XDEL', KEYS[2], ARGV[1] },
})
if refused then
  return refused
end
local found = redis.call('XRANGE', KEYS[2], ARGV[1], ARGV[1])
if #found == 0 then
  return { false, 0 }
end
local previous = redis.call('GET', KEYS[3])
if previous then
  redis.call('XDEL', KEYS[2], ARGV[1])
  return { previous, 0 }
end

local strip = {}
for i = 3, #ARGV do
  strip[ARGV[i]] = true
end
local source = found[1][2]
local fields = {}
for i = 1, #source, 2 do
  if not strip[source[i]] then
    fields[#fields + 1] = source[i]
    fields[#fields + 1] = source[i + 1]
  end
end
if #fields == 0 then
  return redis.error_reply('ERR dead letter ' .. ARGV[1] .. ' has no original fields to replay')
end
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('SET', KEYS[3], id, 'PX', ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[1])
return { id, 1 }
