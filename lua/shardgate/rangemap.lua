-- The range map: decode/encode the str-map encoding of docs/interfaces.md, binary-search
-- lookup over a compiled segment table, and a version-caching loader.
--
-- Compiled form: { version = v, n = count, lo = {...}, hi = {...}, shard = {...} }, three
-- parallel arrays sorted by lo with non-overlapping inclusive [lo, hi] segments. Parallel
-- arrays of integers keep a 100k-segment map at a few MB and the search free of table
-- indirections.

local int64 = require("shardgate.int64")

local _M = {}

local find, match, gmatch, byte, concat = string.find, string.match, string.gmatch, string.byte,
  table.concat
local tonumber = tonumber
local parse_int = int64.parse
local COMMA = string.byte(",")

_M.CHUNK_LIMIT = 8000 -- bytes per chunk value, so a line fits HAProxy's 16 KiB buffers
_M.MAX_CHUNKS = 10000
_M.MAX_SEGMENTS = 1000000
_M.META_KEY = "meta"

local EMPTY = { version = 0, n = 0, lo = {}, hi = {}, shard = {} }
_M.EMPTY = EMPTY

function _M.chunk_key(i)
  return "c" .. i
end

-- lookup(compiled, key) -> shard name | nil when no segment covers key
function _M.lookup(map, key)
  local lo, hi = map.lo, map.hi
  local a, b = 1, map.n
  while a <= b do
    local m = (a + b) // 2
    if key < lo[m] then
      b = m - 1
    elseif key > hi[m] then
      a = m + 1
    else
      return map.shard[m]
    end
  end
  return nil
end

local function parse_meta(text)
  local v, c, s = match(text, "^(%d+)|(%d+)|(%d+)$")
  if not v then
    return nil, "meta is not <version>|<nchunks>|<nsegments>"
  end
  v, c, s = parse_int(v), parse_int(c), parse_int(s)
  if not v or v < 1 then
    return nil, "meta version is not a positive integer"
  end
  if not c or c > _M.MAX_CHUNKS or not s or s > _M.MAX_SEGMENTS then
    return nil, "meta counts out of bounds"
  end
  if (c == 0) ~= (s == 0) then
    return nil, "meta has " .. c .. " chunks for " .. s .. " segments"
  end
  return { version = v, nchunks = c, nsegments = s }
end

-- Bounds of up to 18 digits (plus sign) fit an int64, so tonumber is exact and fast;
-- longer ones go through the strict parser.
local function bound(text)
  if #text <= 18 then
    return tonumber(text)
  end
  return parse_int(text)
end

-- Appends the segments of one chunk body to map; returns true or nil, reason.
-- One gmatch walks the body; position captures prove the segments are contiguous and
-- comma-separated, so nothing between them is skipped silently.
local function add_segments(map, body, limit)
  local expected, n = 1, map.n
  local lo, hi, shard = map.lo, map.hi, map.shard
  local prev_hi = hi[n]
  for first, l, h, s, after in gmatch(body, "()([-+]?%d+):([-+]?%d+):([%w_.-]+)()") do
    if first ~= expected or (after <= #body and byte(body, after) ~= COMMA) then
      return nil, "segment " .. (n + 1) .. " is not <lo>:<hi>:<shard>"
    end
    l, h = bound(l), bound(h)
    if not l or not h then
      return nil, "segment " .. (n + 1) .. " bound is not a signed 64-bit integer"
    end
    if l > h then
      return nil, "segment " .. (n + 1) .. " has lo > hi"
    end
    if n > 0 and l <= prev_hi then
      return nil, "segment " .. (n + 1) .. " is unsorted or overlaps the previous one"
    end
    n = n + 1
    if n > limit then
      return nil, "more segments than meta announces"
    end
    lo[n], hi[n], shard[n] = l, h, s
    prev_hi = h
    expected = after + 1
  end
  if expected <= #body then
    return nil, "segment " .. (n + 1) .. " is not <lo>:<hi>:<shard>"
  end
  map.n = n
  return true
end

-- Decodes the chunks announced by meta_text into a compiled map.
local function decode_chunks(get, meta_text)
  local meta, err = parse_meta(meta_text)
  if not meta then
    return nil, err
  end
  local map = { version = meta.version, n = 0, lo = {}, hi = {}, shard = {} }
  for i = 0, meta.nchunks - 1 do
    local value = get(_M.chunk_key(i))
    if value == nil then
      return nil, "chunk c" .. i .. " is missing", true
    end
    local v, body = match(value, "^(%d+)|(.*)$")
    if not v then
      return nil, "chunk c" .. i .. " is not <version>|<segments>"
    end
    if parse_int(v) ~= meta.version then
      return nil, "chunk c" .. i .. " has version " .. v .. ", meta " .. meta.version, true
    end
    local ok, why = add_segments(map, body, meta.nsegments)
    if not ok then
      return nil, "chunk c" .. i .. ": " .. why
    end
  end
  if map.n ~= meta.nsegments then
    return nil, "meta announces " .. meta.nsegments .. " segments, chunks hold " .. map.n
  end
  return map
end

-- decode(get) -> compiled | nil, reason, mismatch; the meta text read is the last result.
-- get(key) returns the str-map value or nil; a missing meta is the empty map. mismatch is
-- true when a chunk is missing or carries another version than meta (a commit happened
-- between two reads): worth one retry.
function _M.decode(get)
  local meta_text = get(_M.META_KEY)
  if meta_text == nil then
    return EMPTY, nil, nil, nil
  end
  local map, err, mismatch = decode_chunks(get, meta_text)
  return map, err, mismatch, meta_text
end

local function segment_text(seg)
  local lo, hi, shard = seg[1], seg[2], seg[3]
  if math.type(lo) ~= "integer" or math.type(hi) ~= "integer" or lo > hi then
    return nil, "segment bounds must be integers with lo <= hi"
  end
  if type(shard) ~= "string" or not find(shard, "^[%w_.-]+$") then
    return nil, "shard name must match [A-Za-z0-9_.-]+"
  end
  return lo .. ":" .. hi .. ":" .. shard
end

-- encode(version, segments, chunk_limit?) -> { {key, value}, ... } (meta first) | nil, reason
-- segments = { {lo, hi, shard}, ... } sorted by lo, not overlapping.
function _M.encode(version, segments, chunk_limit)
  chunk_limit = chunk_limit or _M.CHUNK_LIMIT
  if math.type(version) ~= "integer" or version < 1 then
    return nil, "version must be a positive integer"
  end
  local prefix = version .. "|"
  local chunks, current, size = {}, {}, #prefix
  for i, seg in ipairs(segments) do
    local text, err = segment_text(seg)
    if not text then
      return nil, "segment " .. i .. ": " .. err
    end
    if i > 1 and seg[1] <= segments[i - 1][2] then
      return nil, "segment " .. i .. " is unsorted or overlaps the previous one"
    end
    local extra = #text + (#current > 0 and 1 or 0)
    if #current > 0 and size + extra > chunk_limit then
      chunks[#chunks + 1] = prefix .. concat(current, ",")
      current, size, extra = {}, #prefix, #text
    end
    if #prefix + #text > chunk_limit then
      return nil, "segment " .. i .. " does not fit in a chunk"
    end
    current[#current + 1] = text
    size = size + extra
  end
  if #current > 0 then
    chunks[#chunks + 1] = prefix .. concat(current, ",")
  end
  local entries = { { _M.META_KEY, version .. "|" .. #chunks .. "|" .. #segments } }
  for i, value in ipairs(chunks) do
    entries[#entries + 1] = { _M.chunk_key(i - 1), value }
  end
  return entries
end

-- map_file_text(entries) -> the content of an HAProxy map file holding these entries.
function _M.map_file_text(entries)
  local lines = {}
  for i, e in ipairs(entries) do
    lines[i] = e[1] .. " " .. e[2]
  end
  return concat(lines, "\n") .. "\n"
end

local Loader = {}
Loader.__index = Loader

-- new_loader(get, wait?) -> loader. get(key) reads the shared str map (Map:lookup in HAProxy).
-- wait(n), when given, is called by a refresh that finds another refresh decoding a new
-- version: it pauses the caller (core.msleep in HAProxy) and returns false to stop waiting;
-- n counts its calls from 1.
function _M.new_loader(get, wait)
  return setmetatable({ get = get, wait = wait, current = EMPTY, seen = false, refused = nil,
    refused_reason = nil, stuck = false, decoding = false }, Loader)
end

-- loader:refresh(recheck?) -> compiled, event | nil
-- Reads meta; re-decodes only when meta changed since the last call. A bad map is
-- refused: the last good compiled copy stays and that meta is not decoded again, with one
-- exception: a map refused because its chunks disagree with meta (e.g. someone updated
-- meta and chunks with separate `set map` commands instead of one commit) is decoded
-- again when `recheck` is true, which the background task passes, so it heals once the
-- chunks are consistent without costing every connection a decode.
-- event = { name = "map_loaded", version, segments } or
--         { name = "map_rejected", version_text, reason } for the caller to log; a repeated
-- identical refusal yields no event.
function Loader:refresh(recheck)
  -- HAProxy forces long Lua runs to yield (tune.lua.forced-yield), so another connection
  -- may call refresh while a decode is suspended. It must not start a second decode of the
  -- same version, and it must not route with the map the decode replaces: HAProxy already
  -- runs the new version (the controller reports it applied), so it waits for the decode
  -- when it can. A decode still running when wait gives up may belong to a connection that
  -- was aborted mid-decode (its coroutine never returns): the waiter then decodes itself.
  if self.decoding then
    if not self.wait then
      return self.current
    end
    local n = 0
    while self.decoding do
      n = n + 1
      if not self.wait(n) then
        break
      end
    end
    if not self.decoding then
      return self.current
    end
    self.seen = false
  end
  local meta = self.get(_M.META_KEY)
  if meta == self.seen and not (recheck and self.stuck) then
    return self.current
  end
  self.seen, self.stuck, self.decoding = meta, false, true
  local ok, map, err, mismatch
  ok, map, err, mismatch, meta = pcall(_M.decode, self.get)
  if ok and not map and mismatch then
    ok, map, err, mismatch, meta = pcall(_M.decode, self.get)
  end
  self.decoding = false
  if not ok then
    map, err, mismatch, meta = nil, tostring(map), nil, self.seen
  end
  self.seen = meta
  if not map then
    local repeated = self.refused == meta and self.refused_reason == err
    self.refused, self.refused_reason, self.stuck = meta, err, mismatch == true
    if repeated then
      return self.current
    end
    return self.current, { name = "map_rejected", version_text = tostring(meta), reason = err }
  end
  self.current, self.refused, self.refused_reason = map, nil, nil
  return map, { name = "map_loaded", version = map.version, segments = map.n }
end

return _M
