-- Applies one health event to one account, atomically, with the same transitions
-- as applyHealthEvent in accounts/account-health.ts (a longer block is never
-- shortened; unauthorized is lifted only by reauthorized or reset; banned wins
-- over every other state and is lifted only by reset; the breaker
-- opens on enough failures in its window and closes on a successful probe).
-- KEYS[1]  the account's record hash; nothing happens when it does not exist
-- KEYS[2]  the account's health hash
-- KEYS[3]  the account's breaker failures: member = a unique id, score = time (ms)
-- ARGV[1]  now (ms), from the caller's clock
-- ARGV[2]  the lease that ended ("" for none); when it holds the probe, the probe ends
-- ARGV[3]  event: block | failure | success | none | reauthorized | reset
-- ARGV[4]  block: the status (rate_limited | overloaded | unauthorized | banned)
-- ARGV[5]  reason
-- ARGV[6]  block: until (ms; 0 for unauthorized and banned)
-- ARGV[7]  failures that open the breaker
-- ARGV[8]  the breaker's window (ms)
-- ARGV[9]  how long the breaker stays open (ms)
-- ARGV[10] subscription windows as JSON ("" keeps the stored ones)
-- ARGV[11] member for a new failure (unique)
-- returns  {status after the event, stored status before it, its untilMs}, or false when the
--          account does not exist; the state before lets an observer tell a recovery (a probe
--          that closed the breaker) from a success on a healthy account, without a read of its own
if redis.call("EXISTS", KEYS[1]) == 0 then
  return false
end
local now = tonumber(ARGV[1])
local stored = redis.call("HMGET", KEYS[2], "status", "untilMs", "probeLeaseId")
local status = stored[1] or "healthy"
local untilMs = tonumber(stored[2] or "0")
local before = status
local beforeUntil = stored[2] or "0"
local isProbe = ARGV[2] ~= "" and stored[3] == ARGV[2]
if isProbe then
  redis.call("HDEL", KEYS[2], "probeLeaseId", "probeUntilMs")
end
if ARGV[10] ~= "" then
  redis.call("HSET", KEYS[2], "windows", ARGV[10], "windowsAtMs", now)
end
redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", now - tonumber(ARGV[8]))

local function replaces(newStatus, newUntil)
  if status == "banned" then return false end
  if newStatus == "banned" then return true end
  if status == "unauthorized" then return false end
  if newStatus == "unauthorized" then return true end
  if status == "healthy" or untilMs <= now then return true end
  return newUntil > untilMs
end
local function set(newStatus, reason, newUntil)
  redis.call("HSET", KEYS[2], "status", newStatus, "reason", reason, "untilMs", newUntil, "sinceMs", now)
  status = newStatus
end
local function clear()
  redis.call("HSET", KEYS[2], "status", "healthy", "reason", "", "untilMs", 0, "sinceMs", 0)
  status = "healthy"
end
local function open()
  set("circuit_open", ARGV[5], now + tonumber(ARGV[9]))
  redis.call("DEL", KEYS[3])
end

local event = ARGV[3]
if event == "block" then
  if replaces(ARGV[4], tonumber(ARGV[6])) then
    set(ARGV[4], ARGV[5], tonumber(ARGV[6]))
  end
elseif event == "failure" then
  local reopenUntil = now + tonumber(ARGV[9])
  if status == "circuit_open" then
    -- While open, only the probe's failure (or one after the open time) re-opens it.
    if (untilMs <= now or isProbe) and replaces("circuit_open", reopenUntil) then
      open()
    end
  else
    redis.call("ZADD", KEYS[3], now, ARGV[11])
    redis.call("PEXPIRE", KEYS[3], tonumber(ARGV[8]))
    if redis.call("ZCARD", KEYS[3]) >= tonumber(ARGV[7]) and replaces("circuit_open", reopenUntil) then
      open()
    end
  end
elseif event == "success" then
  if status == "circuit_open" and (untilMs <= now or isProbe) then
    clear()
    redis.call("DEL", KEYS[3])
  end
elseif event == "reauthorized" then
  if status == "unauthorized" then
    clear()
  end
elseif event == "reset" then
  clear()
  -- An admin's reset also forgets the windows: the next answer reports them afresh.
  redis.call("HDEL", KEYS[2], "probeLeaseId", "probeUntilMs", "windows", "windowsAtMs")
  redis.call("DEL", KEYS[3])
end
return {status, before, beforeUntil}
