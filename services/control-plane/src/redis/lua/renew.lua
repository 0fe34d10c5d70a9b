-- Extends one lease on one owner, only if it is still held.
-- KEYS[1]  the owner's lease sorted set: member = lease id, score = expiry (ms)
-- ARGV[1]  lease id
-- ARGV[2]  now (ms), from the caller's clock
-- ARGV[3]  lease TTL (ms)
-- returns  1 renewed; 0 unknown or already expired (an expired member is removed)
local now = tonumber(ARGV[2])
local score = redis.call("ZSCORE", KEYS[1], ARGV[1])
if not score then
  return 0
end
if tonumber(score) <= now then
  redis.call("ZREM", KEYS[1], ARGV[1])
  return 0
end
redis.call("ZADD", KEYS[1], "XX", now + tonumber(ARGV[3]), ARGV[1])
return 1
