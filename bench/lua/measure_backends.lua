-- Prints what finding a shard's backend costs in plain Lua: a static backend (the glue's table
-- read) against a shard bound to a spare (resolver:find with a shards-map lookup). Not a test:
-- figures only. The shards-map lookup is a Lua table here; in HAProxy it is Map:lookup, a C
-- call into a str map tree (docs/router.md, "Backends").
-- Usage: lua5.3 bench/lua/measure_backends.lua [lookups]   (also with lua5.4)

local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = here .. "/../../lua/?.lua;" .. package.path
local backends = require("shardgate.backends")

local LOOKUPS = tonumber(arg[1]) or 1000000
local SHARDS = 64

local exists, bindings = {}, {}
for i = 1, SHARDS do
  exists["static_" .. i .. "_rw"] = true
  exists["shardgate_spare_" .. i .. "_rw"] = true
  bindings["bound_" .. i] = "shardgate_spare_" .. i
end
local map_lookups = 0
local resolver = backends.new(function(name)
  return exists[name]
end, function(shard)
  map_lookups = map_lookups + 1
  return bindings[shard]
end)
local static, bound = {}, {}
for i = 1, SHARDS do
  static[i], bound[i] = "static_" .. i, "bound_" .. i
  assert(resolver:find(static[i], "rw") and resolver:find(bound[i], "rw"))
end

-- us_per(shards, fn): the average time of fn(shard) over LOOKUPS calls cycling through shards.
local function us_per(shards, fn)
  local t0 = os.clock()
  for i = 1, LOOKUPS do
    fn(shards[i % SHARDS + 1])
  end
  return (os.clock() - t0) * 1e6 / LOOKUPS
end

local STATIC = resolver.static
local static_us = us_per(static, function(shard)
  return STATIC.rw[shard] or resolver:find(shard, "rw")
end)
map_lookups = 0
local bound_us = us_per(bound, function(shard)
  return STATIC.rw[shard] or resolver:find(shard, "rw")
end)
print(("%s, %d lookups over %d shards"):format(_VERSION, LOOKUPS, SHARDS))
print(("static=%.3f us  bound=%.3f us  map lookups per bound call=%.2f"):format(
  static_us, bound_us, map_lookups / LOOKUPS))
