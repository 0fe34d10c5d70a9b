-- Adds one request's usage to counter hashes of one hash-tag group (one key,
-- one account, or one UTC day) and keeps each hash for its own time.
-- KEYS[1..n]        the counter hashes
-- ARGV[1..n]        seconds to keep each hash; 0 keeps it for good
-- ARGV[n+1..2n]     a field prefix for each hash: "" for a plain counter hash,
--                   "<id>|" for a hash that counts many ids side by side
-- ARGV[2n+1..]      counter, increment pairs (integers), added to every hash
-- returns           1
local n = #KEYS
for i = 1, n do
  local prefix = ARGV[n + i]
  for j = 2 * n + 1, #ARGV, 2 do
    redis.call("HINCRBY", KEYS[i], prefix .. ARGV[j], ARGV[j + 1])
  end
  local ttl = tonumber(ARGV[i])
  if ttl > 0 then
    redis.call("EXPIRE", KEYS[i], ttl)
  end
end
return 1
