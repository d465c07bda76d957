-- Specs of shardgate.cancel: expiry bookkeeping of cancel-map records, with a fake clock.
local it = ...
local expect = require("expect")
local cancel = require("shardgate.cancel")

it("expires records exactly at their TTL and not before", function()
  local t = assert(cancel.new(60))
  t:add("1.aa", 1000)
  t:add("2.bb", 1010)
  expect.eq(t:sweep(1059), {})
  expect.eq(t:sweep(1060), { "1.aa" })
  expect.eq(t:sweep(1069), {})
  expect.eq(t:sweep(1070), { "2.bb" })
  expect.eq(t:count(), 0)
end)

it("sweeps many expired records at once, oldest first", function()
  local t = assert(cancel.new(10))
  for i = 1, 5 do
    t:add("k" .. i, i)
  end
  expect.eq(t:sweep(13), { "k1", "k2", "k3" })
  expect.eq(t:count(), 2)
end)

it("limits the work of one sweep", function()
  local t = assert(cancel.new(1))
  for i = 1, 10 do
    t:add("k" .. i, 0)
  end
  expect.eq(#t:sweep(100, 4), 4)
  expect.eq(#t:sweep(100, 100), 6)
end)

it("evicts the oldest record early when the state holds its maximum", function()
  local t = assert(cancel.new(3600, 3))
  expect.eq(t:add("a", 1), {})
  expect.eq(t:add("b", 2), {})
  expect.eq(t:add("c", 3), {})
  expect.eq(t:add("d", 4), { "a" })
  expect.eq(t:count(), 3)
end)

it("does not delete a key re-added later when its older record expires", function()
  local t = assert(cancel.new(10))
  t:add("same", 0)
  t:add("same", 5)
  expect.eq(t:sweep(10), {})
  expect.eq(t:sweep(15), { "same" })
end)

it("refuses a non-positive TTL or capacity", function()
  expect.fails("TTL", cancel.new, 0)
  expect.fails("max_records", cancel.new, 10, 0)
end)

it("defaults to a one-day TTL", function()
  local t = assert(cancel.new())
  t:add("k", 0)
  expect.eq(t:sweep(86399), {})
  expect.eq(t:sweep(86400), { "k" })
end)
