-- Counts one finished request's tokens in its API key's rolling token window,
-- when the key has a token limit. The window's length and the limit are read
-- from the key's record (fields rateWindowSeconds, rateLimitTokens), so a key
-- without a token limit keeps no window at all.
-- KEYS[1]  the key's record hash
-- KEYS[2]  the token window: member = "<lease id>:<tokens>", score = end (ms)
-- KEYS[3]  the sum of the tokens in the window
-- ARGV[1]  lease id
-- ARGV[2]  tokens (integer)
-- ARGV[3]  now (ms)
-- returns  1 counted; 0 no token limit, no tokens, or no such key
local tokens = tonumber(ARGV[2])
local limits = redis.call("HMGET", KEYS[1], "rateWindowSeconds", "rateLimitTokens")
local windowMs = (tonumber(limits[1]) or 0) * 1000
if tokens <= 0 or windowMs <= 0 or (tonumber(limits[2]) or 0) <= 0 then
  return 0
end
local now = tonumber(ARGV[3])
redis.call("ZADD", KEYS[2], now, ARGV[1] .. ":" .. ARGV[2])
redis.call("INCRBY", KEYS[3], tokens)
-- An idle key's window goes away by itself once every entry has left it.
redis.call("PEXPIRE", KEYS[2], windowMs)
redis.call("PEXPIRE", KEYS[3], windowMs)
return 1
