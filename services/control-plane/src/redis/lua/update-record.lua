-- Sets fields of a record hash only if the record exists, so an update racing
-- a delete never leaves a partial record behind.
-- KEYS[1]  the record hash
-- ARGV     field, value pairs
-- returns  1 updated; 0 no such record
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
if #ARGV > 0 then
  redis.call("HSET", KEYS[1], unpack(ARGV))
end
return 1
