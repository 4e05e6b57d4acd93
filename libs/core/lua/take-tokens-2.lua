--[[
  Global rate limit of one stream and group, shared by every worker (token bucket): takes up
  to ARGV[3] tokens before a read, or gives back -ARGV[3] tokens the read did not use. The
  bucket holds at most ARGV[1] tokens and refills ARGV[1] per ARGV[2] ms, continuously. Time is
  Redis's (TIME), so the workers' clocks do not matter. While the hold key lives (a handler threw
  RateLimitedError), nothing is granted.

  KEYS[1] bucket hash (tokens, at), expiring when unused (a full bucket needs no state)
  KEYS[2] hold key (SET with PX by RateLimitedError)
  ARGV[1] max tokens
  ARGV[2] per ms
  ARGV[3] tokens wanted (> 0) or given back (< 0)

  Returns { granted, retryMs }: tokens granted (0 when none), and when none, ms until the next
  token (or the end of the hold).
]]
-- @include command-permissions
local refused = refusedCommand('take-tokens-2.lua', {
  { 'HSET', KEYS[1], 'tokens', '0', 'at', '0' },
  { 'PEXPIRE', KEYS[1], '1' },
})
if refused then
  return refused
end
local max = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or max
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(max, tokens + (now - at) * max / perMs)
end
local granted = 0
local retry = 0
if want < 0 then
  tokens = math.min(max, tokens - want)
else
  local held = redis.call('PTTL', KEYS[2])
  if held > 0 then
    retry = held
  else
    granted = math.min(want, math.floor(tokens))
    tokens = tokens - granted
    if granted == 0 then
      retry = math.ceil((1 - tokens) * perMs / max)
    end
  end
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.3f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(perMs) * 2)
return { granted, retry }
