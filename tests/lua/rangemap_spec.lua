-- Specs of shardgate.rangemap: encoding, validation, lookup and the version-caching loader.
local it = ...
local expect = require("expect")
local rangemap = require("shardgate.rangemap")

-- n segments of width 100 starting at `start`, every other one left as a gap, shards cycling.
local function segments(n, start)
  local list = {}
  for i = 0, n - 1 do
    local lo = (start or 0) + i * 200
    list[#list + 1] = { lo, lo + 99, "shard_" .. (i % 7) }
  end
  return list
end

-- A str map (key -> value) holding the encoded entries, and a get() over it.
local function store(version, segs, chunk_limit)
  local map = {}
  for _, e in ipairs(assert(rangemap.encode(version, segs, chunk_limit))) do
    map[e[1]] = e[2]
  end
  return map, function(k) return map[k] end
end

local function compiled(version, segs, chunk_limit)
  local _, get = store(version, segs, chunk_limit)
  return assert(rangemap.decode(get))
end

it("round-trips 10, 10k and 100k segments through encode and decode", function()
  for _, n in ipairs({ 10, 10000, 100000 }) do
    local segs = segments(n, -1000)
    local map = compiled(3, segs)
    expect.eq(map.n, n, "segments for " .. n)
    expect.eq(map.version, 3)
    expect.eq({ map.lo[n], map.hi[n], map.shard[n] }, segs[n])
  end
end)

it("finds keys at both edges of every segment and misses the gaps, at 10 and 10k", function()
  for _, n in ipairs({ 10, 10000 }) do
    local segs = segments(n, 0)
    local map = compiled(1, segs)
    for i, s in ipairs(segs) do
      expect.eq(rangemap.lookup(map, s[1]), s[3], "lo of segment " .. i)
      expect.eq(rangemap.lookup(map, s[2]), s[3], "hi of segment " .. i)
      expect.eq(rangemap.lookup(map, s[2] + 1), nil, "gap after segment " .. i)
    end
    expect.eq(rangemap.lookup(map, -1), nil)
  end
end)

it("finds the first, middle and last of 100k segments", function()
  local segs = segments(100000, 0)
  local map = compiled(1, segs)
  expect.eq(rangemap.lookup(map, 0), "shard_0")
  expect.eq(rangemap.lookup(map, segs[50000][2]), segs[50000][3])
  expect.eq(rangemap.lookup(map, segs[100000][2]), segs[100000][3])
  expect.eq(rangemap.lookup(map, segs[100000][2] + 1), nil)
end)

it("handles negative ranges and the full 64-bit span", function()
  local map = compiled(2, {
    { math.mininteger, -1000001, "neg_far" },
    { -1000000, -1, "neg" },
    { 0, math.maxinteger, "pos" },
  })
  expect.eq(rangemap.lookup(map, math.mininteger), "neg_far")
  expect.eq(rangemap.lookup(map, -1000001), "neg_far")
  expect.eq(rangemap.lookup(map, -1000000), "neg")
  expect.eq(rangemap.lookup(map, -1), "neg")
  expect.eq(rangemap.lookup(map, 0), "pos")
  expect.eq(rangemap.lookup(map, math.maxinteger), "pos")
end)

it("keeps every chunk within the chunk limit and announces the counts in meta", function()
  local entries = assert(rangemap.encode(9, segments(5000, 0)))
  expect.eq(entries[1][1], "meta")
  expect.eq(entries[1][2], "9|" .. (#entries - 1) .. "|5000")
  for i = 2, #entries do
    expect.eq(entries[i][1], "c" .. (i - 2))
    expect.truthy(#entries[i][2] <= rangemap.CHUNK_LIMIT, "chunk " .. i .. " size")
    expect.truthy(not entries[i][2]:find(" "), "no spaces in chunk " .. i)
  end
end)

it("encodes an empty segment list as a meta with no chunks that decodes to an empty map", function()
  local map = compiled(4, {})
  expect.eq({ map.version, map.n }, { 4, 0 })
  expect.eq(rangemap.lookup(map, 0), nil)
end)

it("treats a missing meta as the empty map", function()
  local map = assert(rangemap.decode(function() return nil end))
  expect.eq({ map.version, map.n }, { 0, 0 })
end)

it("refuses to encode unsorted, overlapping or badly named segments", function()
  expect.fails("unsorted or overlaps", rangemap.encode, 1, { { 10, 20, "a" }, { 20, 30, "b" } })
  expect.fails("unsorted or overlaps", rangemap.encode, 1, { { 10, 20, "a" }, { 0, 5, "b" } })
  expect.fails("lo <= hi", rangemap.encode, 1, { { 5, 4, "a" } })
  expect.fails("shard name", rangemap.encode, 1, { { 1, 2, "bad name" } })
  expect.fails("positive integer", rangemap.encode, 0, {})
end)

local function decode_table(t)
  return rangemap.decode(function(k) return t[k] end)
end

it("refuses malformed maps with a reason naming the problem", function()
  local cases = {
    { { meta = "x" }, "meta is not" },
    { { meta = "0|0|0" }, "positive" },
    { { meta = "1|1|0", c0 = "1|" }, "1 chunks for 0 segments" },
    { { meta = "1|1|1", c0 = "1|1:2" }, "is not <lo>:<hi>:<shard>" },
    { { meta = "1|1|1", c0 = "1|5:4:a" }, "lo > hi" },
    { { meta = "1|1|2", c0 = "1|1:5:a,5:9:b" }, "overlaps" },
    { { meta = "1|1|2", c0 = "1|6:9:a,1:5:b" }, "unsorted" },
    { { meta = "1|2|2", c0 = "1|1:5:a", c1 = "1|0:0:b" }, "chunk c1: segment 2" },
    { { meta = "1|1|2", c0 = "1|1:5:a" }, "announces 2 segments, chunks hold 1" },
    { { meta = "1|1|1", c0 = "1|1:5:a,7:8:b" }, "more segments than meta" },
    { { meta = "1|1|1", c0 = "1|1:9223372036854775808:a" }, "not a signed 64-bit" },
    { { meta = "1|1|1", c0 = "1|1:5:a b" }, "is not <lo>:<hi>:<shard>" },
    { { meta = "1|1|2", c0 = "1|1:5:a,,7:8:b" }, "segment 2 is not" },
    { { meta = "1|1|1", c0 = "garbage" }, "chunk c0 is not" },
  }
  for _, case in ipairs(cases) do
    expect.fails(case[2], decode_table, case[1])
  end
end)

it("flags a chunk of another version or a missing chunk as a mismatch worth a retry", function()
  local _, why, mismatch = decode_table({ meta = "2|1|1", c0 = "1|1:5:a" })
  expect.eq({ why, mismatch }, { "chunk c0 has version 1, meta 2", true })
  _, why, mismatch = decode_table({ meta = "2|2|2", c0 = "2|1:5:a" })
  expect.eq({ why, mismatch }, { "chunk c1 is missing", true })
  _, _, mismatch = decode_table({ meta = "2|1|1", c0 = "2|5:1:a" })
  expect.eq(mismatch, nil)
end)

it("loads the map once and serves the cached copy while meta is unchanged", function()
  local _, get = store(1, segments(10, 0))
  local reads = 0
  local loader = rangemap.new_loader(function(k) reads = reads + 1 return get(k) end)
  local first, event = loader:refresh()
  expect.eq(event, { name = "map_loaded", version = 1, segments = 10 })
  reads = 0
  local again, none = loader:refresh()
  expect.truthy(again == first, "same compiled table")
  expect.eq({ none, reads }, { nil, 1 })
end)

it("switches to a new version as soon as meta changes", function()
  local map, get = store(1, segments(10, 0))
  local loader = rangemap.new_loader(get)
  loader:refresh()
  for k, v in pairs(store(2, { { 0, 99, "moved" } })) do
    map[k] = v
  end
  map.c1 = nil
  local current, event = loader:refresh()
  expect.eq(event, { name = "map_loaded", version = 2, segments = 1 })
  expect.eq(rangemap.lookup(current, 50), "moved")
end)

it("retries once when a commit lands between reading meta and the chunks", function()
  local old = store(1, segments(10, 0))
  local new = store(2, segments(20, 0))
  local reads_of_meta = 0
  -- The first meta read sees version 1, the chunks are already version 2.
  local loader = rangemap.new_loader(function(k)
    if k == "meta" then
      reads_of_meta = reads_of_meta + 1
      if reads_of_meta == 1 then
        return old.meta
      end
    end
    return new[k]
  end)
  local current, event = loader:refresh()
  expect.eq(event, { name = "map_loaded", version = 2, segments = 20 })
  expect.eq(current.n, 20)
end)

it("refuses a malformed map, keeps the last good one and does not decode that version again", function()
  local map, get = store(1, segments(10, 0))
  local chunk_reads = 0
  local loader = rangemap.new_loader(function(k)
    if k ~= "meta" then
      chunk_reads = chunk_reads + 1
    end
    return get(k)
  end)
  local good = loader:refresh()
  map.meta, map.c0 = "2|1|1", "2|9:1:bad"
  local kept, event = loader:refresh()
  expect.truthy(kept == good, "last good map kept")
  expect.eq(event, { name = "map_rejected", version_text = "2|1|1", reason = "chunk c0: segment 1 has lo > hi" })
  expect.eq(loader.refused, "2|1|1")
  chunk_reads = 0
  local still, none = loader:refresh()
  expect.truthy(still == good, "still the last good map")
  expect.eq({ none, chunk_reads }, { nil, 0 })
end)

it("refuses a persistent version mismatch after one retry", function()
  local loader = rangemap.new_loader(function(k)
    return ({ meta = "3|1|1", c0 = "2|1:5:a" })[k]
  end)
  local current, event = loader:refresh()
  expect.eq(current.n, 0)
  expect.eq(event.name, "map_rejected")
  expect.eq(event.reason, "chunk c0 has version 2, meta 3")
end)

it("serves the current map to a refresh made while a decode is suspended", function()
  local map, get = store(1, segments(10, 0))
  local loader
  local nested = {}
  loader = rangemap.new_loader(function(k)
    if k == "c0" and #nested == 0 then
      nested[1] = loader:refresh()
    end
    return get(k)
  end)
  local first = loader:refresh()
  expect.eq(first.version, 1)
  expect.eq(nested[1].version, 0)
  for k, v in pairs(store(2, segments(3, 0))) do
    map[k] = v
  end
  nested = {}
  expect.eq(loader:refresh().version, 2)
  expect.truthy(nested[1] == first, "the nested refresh got the map current before the decode")
end)

it("a refresh made while a decode is suspended waits for the new map when it can wait", function()
  local map, get = store(1, segments(10, 0))
  local waits = 0
  local loader = rangemap.new_loader(function(k)
    if k == "c0" then
      coroutine.yield()  -- HAProxy's forced yield in the middle of the decode
    end
    return get(k)
  end, function()
    waits = waits + 1
    coroutine.yield()
    return true
  end)
  local decoder = coroutine.create(function() return loader:refresh() end)
  local waiter = coroutine.create(function() return loader:refresh() end)
  assert(coroutine.resume(decoder))  -- suspended inside the decode of version 1
  assert(coroutine.resume(waiter))   -- finds the decode running: waits
  local _, decoded = assert(coroutine.resume(decoder))
  local _, waited = assert(coroutine.resume(waiter))
  expect.eq(decoded.version, 1)
  expect.eq(waited.version, 1, "the waiting connection routes with the new version, not the old")
  expect.eq(waits, 1)
  expect.truthy(map.meta ~= nil)
end)

it("a refresh whose wait gives up on a decode that never ends decodes the map itself", function()
  local _, get = store(1, segments(10, 0))
  local loader
  local nested
  loader = rangemap.new_loader(function(k)
    if k == "c0" and nested == nil then
      nested = false
      nested = loader:refresh()  -- the outer decode cannot finish while this one waits
    end
    return get(k)
  end, function(n) return n < 3 end)
  expect.eq(loader:refresh().version, 1)
  expect.eq(nested.version, 1)
end)

it("without a wait function a refresh during a decode serves the current map", function()
  local _, get = store(1, segments(10, 0))
  local loader
  local nested
  loader = rangemap.new_loader(function(k)
    if k == "c0" and nested == nil then
      nested = loader:refresh()
    end
    return get(k)
  end)
  expect.eq(loader:refresh().version, 1)
  expect.eq(nested.version, 0)
end)

it("a decode that raises an error refuses the map and does not leave refreshes waiting", function()
  local calls = 0
  local loader = rangemap.new_loader(function(k)
    if k == "meta" then
      return "1|1|1"
    end
    calls = calls + 1
    error("map read failed")
  end, function() error("must not wait") end)
  local current, event = loader:refresh()
  expect.eq(current.version, 0)
  expect.eq(event.name, "map_rejected")
  expect.truthy(event.reason:find("map read failed", 1, true), event.reason)
  expect.eq(loader:refresh().version, 0)
  expect.eq(calls, 1)
end)

it("rechecks a map refused for inconsistent chunks only when asked, and heals", function()
  local map = { meta = "5|1|1", c0 = "4|1:5:a" }
  local loader = rangemap.new_loader(function(k) return map[k] end)
  local _, event = loader:refresh()
  expect.eq(event.reason, "chunk c0 has version 4, meta 5")
  map.c0 = "5|1:5:a"
  expect.eq(loader:refresh().version, 0)
  local healed, loaded = loader:refresh(true)
  expect.eq({ healed.version, loaded.name }, { 5, "map_loaded" })
end)

it("reports a persistent refusal once, not on every recheck", function()
  local loader = rangemap.new_loader(function(k) return ({ meta = "5|1|1", c0 = "4|1:5:a" })[k] end)
  expect.eq(select(2, loader:refresh()).name, "map_rejected")
  expect.eq(select("#", loader:refresh(true)), 1)
end)

it("never rechecks a malformed map, even when asked", function()
  local reads = 0
  local loader = rangemap.new_loader(function(k)
    reads = reads + 1
    return ({ meta = "5|1|1", c0 = "5|9:1:a" })[k]
  end)
  loader:refresh()
  reads = 0
  loader:refresh(true)
  expect.eq(reads, 1)
end)

it("accepts a good map after a refused one", function()
  local map, get = store(1, segments(10, 0))
  local loader = rangemap.new_loader(get)
  map.meta = "2|9|9"
  expect.eq(select(2, loader:refresh()).name, "map_rejected")
  for k, v in pairs(store(3, { { 1, 1, "x" } })) do
    map[k] = v
  end
  local current = loader:refresh()
  expect.eq({ current.version, rangemap.lookup(current, 1) }, { 3, "x" })
end)

it("renders entries as map file lines", function()
  local text = rangemap.map_file_text(assert(rangemap.encode(1, { { -5, 5, "a" } })))
  expect.eq(text, "meta 1|1|1\nc0 1|-5:5:a\n")
end)
