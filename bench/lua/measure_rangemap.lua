-- Prints the cost of range-map lookups and decodes in plain Lua (not a test: figures only).
-- Usage: lua5.3 bench/lua/measure_rangemap.lua [lookups]   (also with lua5.4)

local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
package.path = here .. "/../../lua/?.lua;" .. package.path
local rangemap = require("shardgate.rangemap")

local LOOKUPS = tonumber(arg[1]) or 1000000

local function build(n)
  local segs = {}
  for i = 0, n - 1 do
    segs[#segs + 1] = { i * 1000, i * 1000 + 499, "shard_" .. (i % 16) }
  end
  local store = {}
  for _, e in ipairs(assert(rangemap.encode(1, segs))) do
    store[e[1]] = e[2]
  end
  return function(k) return store[k] end, n * 1000
end

print(("%s, %d lookups per size (keys spread over the whole span, hits and misses)"):format(_VERSION, LOOKUPS))
for _, n in ipairs({ 10, 1000, 10000, 100000 }) do
  local get, span = build(n)
  local t0 = os.clock()
  local map = assert(rangemap.decode(get))
  local decode_ms = (os.clock() - t0) * 1000
  local step, hits = 7919, 0
  local k = 0
  t0 = os.clock()
  for _ = 1, LOOKUPS do
    k = k + step
    if k >= span then
      k = k - span
    end
    if rangemap.lookup(map, k) then
      hits = hits + 1
    end
  end
  local per_lookup_us = (os.clock() - t0) * 1e6 / LOOKUPS
  print(("segments=%-7d lookup=%.3f us  decode=%.1f ms  hits=%d%%"):format(
    n, per_lookup_us, decode_ms, hits * 100 // LOOKUPS))
end
