-- Adds counters to hashes of one hash-tag group (one key, one account, or one
-- UTC day) and keeps each hash for its own time. Each hash has its own fields:
-- a batch of many requests sums their increments per hash and field first.
-- KEYS[1..n]  the counter hashes
-- ARGV        for each hash, in the order of KEYS: seconds to keep it (0 keeps
--             it for good), the number m of its counters, then m counter,
--             increment pairs (integers)
-- returns     n, the number of hashes written
local at = 1
for i = 1, #KEYS do
  local ttl = tonumber(ARGV[at])
  local last = at + 1 + 2 * tonumber(ARGV[at + 1])
  for j = at + 2, last, 2 do
    redis.call("HINCRBY", KEYS[i], ARGV[j], ARGV[j + 1])
  end
  if ttl > 0 then
    redis.call("EXPIRE", KEYS[i], ttl)
  end
  at = last + 1
end
return #KEYS
