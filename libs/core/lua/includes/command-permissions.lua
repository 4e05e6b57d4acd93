-- A refused command inside a script fails the script where it stands, after the writes
-- before it, and the caller's retry would repeat them (a dead letter written again on each
-- try when XACK is refused). Scripts that write more than once therefore check every write
-- first with redis.acl_check_cmd (Redis 7.0+) and write nothing when one would be refused.
-- Single-write scripts check their commands too, so that a refusal names the command
-- (Redis 7.0 says only "The user executing the script can't run this command").
-- Returns an error reply naming the refused command and key, or nil when all may run.
local function refusedCommand(step, commands)
  for _, command in ipairs(commands) do
    if not redis.acl_check_cmd(unpack(command)) then
      local name, key = command[1], command[2]
      if name == 'XINFO' or name == 'XGROUP' then name, key = name .. ' ' .. command[2], command[3] end
      return redis.error_reply('NOPERM ' .. step .. ': this user may not run ' .. name .. ' on key ' .. key
        .. ', so nothing was written; grant it (README "Security" lists the ACL rules of each role)')
    end
  end
  return nil
end
