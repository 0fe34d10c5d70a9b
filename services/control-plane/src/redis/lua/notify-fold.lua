-- Adds one event to its fold group, opening the group when there is none: a
-- burst of the same event about the same subject becomes one message.
-- KEYS[1]  the group's hash (id, event, count, firstAtMs, lastAtMs)
-- KEYS[2]  the sorted set of open groups: member = fold key, score = when it is sent (ms)
-- ARGV[1]  now (ms)
-- ARGV[2]  quiet time (ms): the group is sent once no identical event came for this long
-- ARGV[3]  fold window (ms): the group is sent this long after its first event at the latest
-- ARGV[4]  the event, JSON (the latest one is sent)
-- ARGV[5]  the fold key
-- ARGV[6]  an id for a new group
-- returns  the group's count with this event
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[3])
local count = redis.call("HINCRBY", KEYS[1], "count", 1)
local first = now
if count == 1 then
  redis.call("HSET", KEYS[1], "id", ARGV[6], "firstAtMs", now)
else
  first = tonumber(redis.call("HGET", KEYS[1], "firstAtMs") or now)
end
redis.call("HSET", KEYS[1], "event", ARGV[4], "lastAtMs", now)
-- Kept well past its send time, in case no loop runs for a while; the loop removes it when it sends.
redis.call("PEXPIRE", KEYS[1], window + 86400000)
redis.call("ZADD", KEYS[2], math.min(first + window, now + tonumber(ARGV[2])), ARGV[5])
return count
