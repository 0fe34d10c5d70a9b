-- Releases a lock only when it is still held by the caller, so a holder whose
-- lock expired never frees the next holder's lock.
-- KEYS[1]  the lock key
-- ARGV[1]  the holder's token, as set with SET NX PX
-- returns  1 released; 0 not held by this token
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
