-- Takes a concurrency slot on one API key once every limit of the key allows
-- the request, and counts the request in the key's rolling request window, in
-- one atomic step: replicas racing on one key can never pass a limit together.
-- The limits are read from the key's record (the fields api-key-store writes),
-- so they are exact whatever a replica has cached.
-- KEYS[1]  the key's lease sorted set: member = lease id, score = expiry (ms)
-- KEYS[2]  the key's record hash
-- KEYS[3]  the request window: member = lease id, score = start (ms)
-- KEYS[4]  the token window: member = "<lease id>:<tokens>", score = end (ms)
-- KEYS[5]  the sum of the tokens in the token window
-- KEYS[6]  the key's usage hash for today (field cost_nanos)
-- KEYS[7]  the key's usage hash over its whole life (field cost_nanos)
-- KEYS[8]  the key's Opus usage hash for this week (field cost_nanos)
-- ARGV[1]  lease id
-- ARGV[2]  now (ms), from the caller's clock
-- ARGV[3]  lease TTL (ms)
-- ARGV[4]  "1" when the request is for an Opus model
-- ARGV[5]  ms until the UTC day ends
-- ARGV[6]  ms until the UTC week ends
-- returns  {1, active}                   granted; active counts this lease
--          {0, limit, retryMs, value}    refused: limit is concurrency, requests, tokens,
--                                        daily_cost, total_cost or weekly_opus_cost; retryMs
--                                        0 when unknown; value is the limit, as a string
--          {-1}                          no such key
--          {-2, expiredAtMs}             the key expired (fixed date, or its time after first use is over)
--          {-3}                          the key is disabled or revoked
local now = tonumber(ARGV[2])
local f = redis.call("HMGET", KEYS[2], "keyHash", "concurrencyLimit", "rateWindowSeconds", "rateLimitRequests",
  "rateLimitTokens", "dailyCostLimitUsd", "totalCostLimitUsd", "weeklyOpusCostLimitUsd",
  "expireAfterFirstUseSeconds", "firstUsedAtMs", "enabled", "revokedAtMs", "expiresAtMs")
if not f[1] then
  return {-1}
end
if f[11] ~= "1" or (tonumber(f[12]) or 0) ~= 0 then
  return {-3}
end
local concurrency = tonumber(f[2]) or 0
local windowMs = (tonumber(f[3]) or 0) * 1000
local maxRequests = tonumber(f[4]) or 0
local maxTokens = tonumber(f[5]) or 0
local activeFor = (tonumber(f[9]) or 0) * 1000
local firstUsed = tonumber(f[10]) or 0

local expiresAt = tonumber(f[13]) or 0
if expiresAt > 0 and now >= expiresAt then
  return {-2, expiresAt}
end
if activeFor > 0 and firstUsed > 0 and now >= firstUsed + activeFor then
  return {-2, firstUsed + activeFor}
end

-- Cost limits, in US dollars on the record, against counters in nano-dollars.
local function over(limitUsd, counterKey)
  local limit = tonumber(limitUsd) or 0
  if limit <= 0 then
    return false
  end
  return (tonumber(redis.call("HGET", counterKey, "cost_nanos")) or 0) >= limit * 1e9
end
if over(f[6], KEYS[6]) then
  return {0, "daily_cost", tonumber(ARGV[5]), f[6]}
end
if over(f[7], KEYS[7]) then
  return {0, "total_cost", 0, f[7]}
end
if ARGV[4] == "1" and over(f[8], KEYS[8]) then
  return {0, "weekly_opus_cost", tonumber(ARGV[6]), f[8]}
end

local cutoff = now - windowMs
if windowMs > 0 and maxTokens > 0 then
  -- Entries leave the window in order; the running sum loses what left.
  local gone = redis.call("ZRANGEBYSCORE", KEYS[4], "-inf", cutoff)
  if #gone > 0 then
    local sum = 0
    for _, member in ipairs(gone) do
      sum = sum + (tonumber(string.match(member, ":(%d+)$")) or 0)
    end
    redis.call("ZREMRANGEBYSCORE", KEYS[4], "-inf", cutoff)
    redis.call("DECRBY", KEYS[5], sum)
  end
  if redis.call("ZCARD", KEYS[4]) == 0 then
    redis.call("DEL", KEYS[5])
  end
  local total = tonumber(redis.call("GET", KEYS[5])) or 0
  if total >= maxTokens then
    -- Walk from the oldest until enough tokens would have left; past 100 entries the hint is a lower bound.
    local entries = redis.call("ZRANGE", KEYS[4], 0, 99, "WITHSCORES")
    local retry = 0
    for i = 1, #entries, 2 do
      total = total - (tonumber(string.match(entries[i], ":(%d+)$")) or 0)
      retry = tonumber(entries[i + 1]) + windowMs - now
      if total < maxTokens then
        break
      end
    end
    return {0, "tokens", math.max(retry, 1), f[5]}
  end
end

redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
local held = redis.call("ZSCORE", KEYS[1], ARGV[1])
if windowMs > 0 and maxRequests > 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", cutoff)
  local counted = redis.call("ZSCORE", KEYS[3], ARGV[1])
  if not held and not counted and redis.call("ZCARD", KEYS[3]) >= maxRequests then
    local oldest = redis.call("ZRANGE", KEYS[3], 0, 0, "WITHSCORES")
    return {0, "requests", math.max(tonumber(oldest[2]) + windowMs - now, 1), f[4]}
  end
end

local active = redis.call("ZCARD", KEYS[1])
if not held and concurrency > 0 and active >= concurrency then
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  return {0, "concurrency", math.max(tonumber(first[2]) - now, 1), f[2]}
end

redis.call("ZADD", KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
if windowMs > 0 and maxRequests > 0 then
  redis.call("ZADD", KEYS[3], "NX", now, ARGV[1])
  redis.call("PEXPIRE", KEYS[3], windowMs)
end
if firstUsed == 0 then
  redis.call("HSET", KEYS[2], "firstUsedAtMs", now)
end
if held then
  return {1, active}
end
return {1, active + 1}
