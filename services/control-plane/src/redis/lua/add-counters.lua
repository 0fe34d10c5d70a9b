-- Writes the usage of one hash-tag group (one key, one account, or one UTC
-- day): counters added to hashes, each hash kept for its own time, and tokens
-- counted in rolling token windows. A batch of many requests sums their
-- increments per hash and field first; a window gets one entry per request.
-- A window counts tokens only while its owner's record sets a token limit
-- (fields rateWindowSeconds, rateLimitTokens), so an owner without one keeps
-- no window at all; entries without tokens are skipped.
-- KEYS        the group's items, in order: a counter hash is one key; a token
--             window is three: the owner's record hash, the window (member =
--             "<lease id>:<tokens>", score = end (ms)), the sum of its tokens
-- ARGV        per item, in the order of KEYS:
--             a counter hash: seconds to keep it (0 keeps it for good), the
--               number m of its counters, then m counter, increment pairs
--               (integers)
--             a token window: "window", the number e of its entries, then e
--               member, tokens (integer), end (ms) triples
-- returns     the number of items written
local function addCounters(hash, at)
  local ttl = tonumber(ARGV[at])
  local last = at + 1 + 2 * tonumber(ARGV[at + 1])
  for j = at + 2, last, 2 do
    redis.call("HINCRBY", hash, ARGV[j], ARGV[j + 1])
  end
  if ttl > 0 then
    redis.call("EXPIRE", hash, ttl)
  end
  return last + 1
end

local function addToWindow(record, window, total, at)
  local last = at + 1 + 3 * tonumber(ARGV[at + 1])
  local limits = redis.call("HMGET", record, "rateWindowSeconds", "rateLimitTokens")
  local windowMs = (tonumber(limits[1]) or 0) * 1000
  if windowMs <= 0 or (tonumber(limits[2]) or 0) <= 0 then
    return last + 1
  end
  local added = 0
  for j = at + 2, last, 3 do
    local tokens = tonumber(ARGV[j + 1])
    if tokens > 0 then
      redis.call("ZADD", window, ARGV[j + 2], ARGV[j])
      added = added + tokens
    end
  end
  if added > 0 then
    redis.call("INCRBY", total, added)
    -- An idle owner's window goes away by itself once every entry has left it.
    redis.call("PEXPIRE", window, windowMs)
    redis.call("PEXPIRE", total, windowMs)
  end
  return last + 1
end

local i, at, items = 1, 1, 0
while i <= #KEYS do
  if ARGV[at] == "window" then
    at = addToWindow(KEYS[i], KEYS[i + 1], KEYS[i + 2], at)
    i = i + 3
  else
    at = addCounters(KEYS[i], at)
    i = i + 1
  end
  items = items + 1
end
return items
