-- Puts a waiter in a group's line, or finds it there: a waiter already in the
-- line keeps its place (a request that comes back through another control
-- plane is still first in turn). Waiters whose replica stopped renewing them
-- are dropped first.
-- KEYS[1]  line: waiter id -> arrival number
-- KEYS[2]  alive: waiter id -> when it is dropped unless renewed (ms)
-- KEYS[3]  since: waiter id -> when it first joined (ms)
-- KEYS[4]  seq: the last arrival number
-- ARGV[1]  waiter id
-- ARGV[2]  now (ms)
-- ARGV[3]  how long a waiter stays without a renewal (ms)
-- ARGV[4]  the most waiters the line holds
-- ARGV[5]  "busy-only": join only when the line already holds someone
-- returns  {place (0 = first; -1 line full; -2 line empty and busy-only), waiters, first joined ms}
local now = tonumber(ARGV[2])
local gone = redis.call("ZRANGEBYSCORE", KEYS[2], "-inf", now)
for _, waiter in ipairs(gone) do
  redis.call("ZREM", KEYS[1], waiter)
  redis.call("ZREM", KEYS[2], waiter)
  redis.call("HDEL", KEYS[3], waiter)
end
local place = redis.call("ZRANK", KEYS[1], ARGV[1])
local count = redis.call("ZCARD", KEYS[1])
if not place then
  if ARGV[5] == "busy-only" and count == 0 then
    return {-2, 0, now}
  end
  if count >= tonumber(ARGV[4]) then
    return {-1, count, now}
  end
  redis.call("ZADD", KEYS[1], redis.call("INCR", KEYS[4]), ARGV[1])
  redis.call("HSET", KEYS[3], ARGV[1], now)
  count = count + 1
  place = count - 1
end
redis.call("ZADD", KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
-- A line nobody renews goes away by itself.
local keep = 10 * tonumber(ARGV[3])
for i = 1, 4 do
  redis.call("PEXPIRE", KEYS[i], keep)
end
return {place, count, tonumber(redis.call("HGET", KEYS[3], ARGV[1]))}
