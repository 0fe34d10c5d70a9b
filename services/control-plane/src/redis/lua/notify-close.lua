-- Closes one due fold group and creates one delivery per target that wants it,
-- atomically, so exactly one replica sends it whatever the number of loops.
-- KEYS[1]  the sorted set of open groups
-- KEYS[2]  the group's hash
-- KEYS[3]  the sorted set of deliveries: member = delivery id, score = when it is due (ms)
-- KEYS[4…] one hash per new delivery
-- ARGV[1]  now (ms)
-- ARGV[2]  the fold key
-- ARGV[3]  how long a delivery hash lives (ms)
-- ARGV[4…] per new delivery: its id, then its target id (two values each, in KEYS order)
-- returns  the group as HGETALL pairs when this call closed it; false when it is not due or another loop closed it
local score = redis.call("ZSCORE", KEYS[1], ARGV[2])
if not score or tonumber(score) > tonumber(ARGV[1]) then
  return false
end
redis.call("ZREM", KEYS[1], ARGV[2])
local group = redis.call("HGETALL", KEYS[2])
redis.call("DEL", KEYS[2])
if #group == 0 then
  return false
end
for i = 4, #KEYS do
  local id = ARGV[4 + (i - 4) * 2]
  local targetId = ARGV[5 + (i - 4) * 2]
  redis.call("HSET", KEYS[i], unpack(group))
  redis.call("HSET", KEYS[i], "targetId", targetId, "attempts", 0)
  redis.call("PEXPIRE", KEYS[i], tonumber(ARGV[3]))
  redis.call("ZADD", KEYS[3], tonumber(ARGV[1]), id)
end
return group
