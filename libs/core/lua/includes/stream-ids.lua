-- Stream id helpers shared by scripts that compare entry ids ("<ms>-<seq>").
-- Both parts are compared as decimal strings: Lua numbers are doubles, so tonumber would
-- make sequence numbers above 2^53 (valid up to 2^64-1) compare equal.
local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return string.sub(id, 1, dash - 1), string.sub(id, dash + 1)
end
-- Ids as Redis replies them carry no leading zeros: a longer number is a larger one.
local function lessDecimal(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function less(a, b)
  local ams, aseq = parse(a)
  local bms, bseq = parse(b)
  if ams ~= bms then return lessDecimal(ams, bms) end
  return lessDecimal(aseq, bseq)
end
