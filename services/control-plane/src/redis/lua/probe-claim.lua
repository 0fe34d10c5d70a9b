-- Claims the probe of a half-open circuit breaker for one lease, so that across
-- every replica exactly one request tests an account whose breaker's open time is over.
-- KEYS[1]  the account's health hash
-- ARGV[1]  lease id
-- ARGV[2]  now (ms), from the caller's clock
-- ARGV[3]  how long the claim holds if its Release never comes (ms)
-- returns  1 claimed, or no probe is needed (the breaker is closed);
--          0 another probe is running, or the breaker is open again
local now = tonumber(ARGV[2])
local stored = redis.call("HMGET", KEYS[1], "status", "untilMs", "probeLeaseId", "probeUntilMs")
if stored[1] ~= "circuit_open" then
  return 1
end
if tonumber(stored[2] or "0") > now then
  return 0
end
if stored[3] and stored[3] ~= ARGV[1] and tonumber(stored[4] or "0") > now then
  return 0
end
redis.call("HSET", KEYS[1], "probeLeaseId", ARGV[1], "probeUntilMs", now + tonumber(ARGV[3]))
return 1
