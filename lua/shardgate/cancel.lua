-- The cancel records one Lua state wrote: key -> server address, with expiry bookkeeping.
--
-- The glue looks cancel keys up here first (a Lua table lookup) and mirrors records into
-- HAProxy's shared cancel map only when other Lua states need them (lua-load-per-thread
-- with several threads): core.set_map/del_map scan the whole map in HAProxy 2.6, so their
-- cost grows with the number of records (docs/router.md, "Cancel keys").
-- Each Lua state remembers only what it added, in insertion order. The TTL is the same for
-- every record, so the oldest record always expires first and a FIFO queue is enough.
-- Bounded: past `max_records` the oldest record is evicted early (returned for deletion)
-- rather than growing without limit.
-- Time is passed in (seconds) so tests drive it with a fake clock.

local _M = {}

_M.DEFAULT_TTL = 86400
_M.DEFAULT_MAX_RECORDS = 100000

local Tracker = {}
Tracker.__index = Tracker

-- new(ttl_seconds?, max_records?) -> tracker | nil, reason
function _M.new(ttl, max_records)
  ttl = ttl or _M.DEFAULT_TTL
  max_records = max_records or _M.DEFAULT_MAX_RECORDS
  if type(ttl) ~= "number" or ttl <= 0 then
    return nil, "cancel TTL must be a positive number of seconds"
  end
  if math.type(max_records) ~= "integer" or max_records < 1 then
    return nil, "max_records must be a positive integer"
  end
  return setmetatable({
    ttl = ttl, max = max_records,
    keys = {}, expiries = {}, head = 1, tail = 0,
    latest = {}, -- key -> expiry of its newest record: an older duplicate must not delete it
    values = {}, -- key -> value of its newest record
  }, Tracker)
end

function Tracker:count()
  return self.tail - self.head + 1
end

-- Pops the oldest record; returns its key when the map entry should be deleted.
function Tracker:pop()
  local h = self.head
  local key, expiry = self.keys[h], self.expiries[h]
  self.keys[h], self.expiries[h] = nil, nil
  self.head = h + 1
  if self.latest[key] == expiry then
    self.latest[key], self.values[key] = nil, nil
    return key
  end
  return nil
end

-- lookup(key) -> value of the live record for key | nil
function Tracker:lookup(key)
  return self.values[key]
end

-- add(key, now, value?) -> the key of the record evicted to stay within max_records (delete
-- it from the map) | nil. One record in, at most one out: no table per call.
function Tracker:add(key, now, value)
  local evicted
  if self.tail - self.head + 1 >= self.max then -- count(), inlined: runs per connection
    evicted = self:pop()
  end
  local expiry = now + self.ttl
  local tail = self.tail + 1
  self.tail = tail
  self.keys[tail], self.expiries[tail] = key, expiry
  self.latest[key], self.values[key] = expiry, value
  return evicted
end

-- sweep(now, limit?) -> keys whose records expired at or before now (delete them), at most
-- `limit` per call so one sweep never holds the Lua lock for long.
function Tracker:sweep(now, limit)
  local expired = {}
  local budget = limit or math.maxinteger
  while budget > 0 and self.head <= self.tail and self.expiries[self.head] <= now do
    local key = self:pop()
    if key then
      expired[#expired + 1] = key
    end
    budget = budget - 1
  end
  return expired
end

return _M
