-- Frees one lease on one owner and counts its usage, whether or not the lease
-- was still held: the tokens were spent either way.
-- KEYS[1]  the owner's lease sorted set: member = lease id, score = expiry (ms)
-- KEYS[2]  the owner's usage hash for the day
-- ARGV[1]  lease id
-- ARGV[2]  seconds to keep the usage hash
-- ARGV[3..] field, increment pairs (integers)
-- returns  1 when the lease was held, 0 otherwise
local held = redis.call("ZREM", KEYS[1], ARGV[1])
for i = 3, #ARGV, 2 do
  redis.call("HINCRBY", KEYS[2], ARGV[i], ARGV[i + 1])
end
if #ARGV >= 3 then
  redis.call("EXPIRE", KEYS[2], ARGV[2])
end
return held
