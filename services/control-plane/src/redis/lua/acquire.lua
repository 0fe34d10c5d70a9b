-- Takes a concurrency slot on one owner (one account or one API key).
-- KEYS[1]  the owner's lease sorted set: member = lease id, score = expiry (ms)
-- KEYS[2]  the owner's record hash; no slot is granted when it does not exist
-- ARGV[1]  lease id
-- ARGV[2]  now (ms), from the caller's clock so that expiry is testable
-- ARGV[3]  lease TTL (ms)
-- ARGV[4]  limit: leases the owner may hold at once; 0 means unlimited
-- ARGV[5]  record field set to `now` on a grant ("" for none)
-- returns  {1, active}           granted; active counts this lease
--          {0, active, waitMs}   full; waitMs until the earliest lease expires unless renewed
--          {-1, 0}               the owner's record does not exist
local now = tonumber(ARGV[2])
local limit = tonumber(ARGV[4])
if redis.call("EXISTS", KEYS[2]) == 0 then
  return {-1, 0}
end
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
-- A retried acquire of a lease already held is a renewal, not a second slot.
local held = redis.call("ZSCORE", KEYS[1], ARGV[1])
local active = redis.call("ZCARD", KEYS[1])
if not held and limit > 0 and active >= limit then
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  return {0, active, tonumber(first[2]) - now}
end
redis.call("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if ARGV[5] ~= "" then
  redis.call("HSET", KEYS[2], ARGV[5], now)
end
if held then
  return {1, active}
end
return {1, active + 1}
