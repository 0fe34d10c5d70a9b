-- Renews one replica's waiters in a group's line and tells their places, after
-- dropping the waiters nobody renewed in time.
-- KEYS[1..4]  line, alive, since, seq (see wait-join.lua)
-- ARGV[1]     now (ms)
-- ARGV[2]     how long a waiter stays without a renewal (ms)
-- ARGV[3..]   the waiter ids
-- returns     {waiters in the line, oldest joined ms or -1, then each waiter's place (-1 when it is not in the line)}
local now = tonumber(ARGV[1])
local gone = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now)
for _, waiter in ipairs(gone) do
  redis.call("ZREM", KEYS[1], waiter)
  redis.call("ZREM", KEYS[2], waiter)
  redis.call("HDEL", KEYS[3], waiter)
end
local reply = {redis.call("ZCARD", KEYS[1]), -1}
local first = redis.call("ZRANGE", KEYS[1], 0, 0)
if first[1] then
  reply[2] = tonumber(redis.call("HGET", KEYS[3], first[1]) or -1)
end
local keep = 10 * tonumber(ARGV[2])
for i = 3, #ARGV do
  local place = redis.call("ZRANK", KEYS[1], ARGV[i])
  if place then
    redis.call("ZADD", KEYS[2], now + tonumber(ARGV[2]), ARGV[i])
    reply[#reply + 1] = place
  else
    reply[#reply + 1] = -1
  end
end
if reply[1] > 0 then
  for i = 1, 4 do
    redis.call("PEXPIRE", KEYS[i], keep)
  end
end
return reply
