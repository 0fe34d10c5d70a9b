-- Updates one session's record: on Acquire the account and key now serving
-- it (a different account than last time counts a move); on Release also the
-- finished request, whether it failed, and its status.
-- KEYS[1]  the session's record hash
-- ARGV[1]  now (ms)
-- ARGV[2]  seconds to keep the record after this use
-- ARGV[3]  account id
-- ARGV[4]  key id
-- ARGV[5]  "1" when a request finished (Release), else "0"
-- ARGV[6]  "1" when it failed upstream
-- ARGV[7]  its upstream HTTP status (0 for none)
-- returns  1
redis.call("HSETNX", KEYS[1], "firstSeenMs", ARGV[1])
if ARGV[5] == "0" then
  local last = redis.call("HGET", KEYS[1], "lastAccountId")
  if last and last ~= "" and last ~= ARGV[3] then
    redis.call("HINCRBY", KEYS[1], "moves", 1)
  end
end
redis.call("HSET", KEYS[1], "lastSeenMs", ARGV[1], "lastAccountId", ARGV[3], "keyId", ARGV[4])
if ARGV[5] == "1" then
  redis.call("HINCRBY", KEYS[1], "requests", 1)
  if ARGV[6] == "1" then
    redis.call("HINCRBY", KEYS[1], "errors", 1)
  end
  redis.call("HSET", KEYS[1], "lastFailed", ARGV[6], "lastStatus", ARGV[7])
end
redis.call("EXPIRE", KEYS[1], ARGV[2])
return 1
