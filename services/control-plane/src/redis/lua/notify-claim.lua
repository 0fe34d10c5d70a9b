-- Claims one due delivery for one try: its score moves to the end of the claim,
-- so no other loop takes it while this one sends; a loop that dies mid-send
-- leaves it to be tried again once the claim ends.
-- KEYS[1]  the sorted set of deliveries
-- KEYS[2]  the delivery's hash
-- ARGV[1]  now (ms)
-- ARGV[2]  the delivery id
-- ARGV[3]  how long the claim holds (ms), longer than one try
-- returns  the delivery as HGETALL pairs, attempts counting this try; false when not due or taken
local score = redis.call("ZSCORE", KEYS[1], ARGV[2])
if not score or tonumber(score) > tonumber(ARGV[1]) then
  return false
end
if redis.call("EXISTS", KEYS[2]) == 0 then
  redis.call("ZREM", KEYS[1], ARGV[2])
  return false
end
redis.call("ZADD", KEYS[1], tonumber(ARGV[1]) + tonumber(ARGV[3]), ARGV[2])
redis.call("HINCRBY", KEYS[2], "attempts", 1)
return redis.call("HGETALL", KEYS[2])
