-- Specs of shardgate.backends: static backends first, then the shards map's binding.
local it = ...
local expect = require("expect")
local backends = require("shardgate.backends")

-- A resolver over a fixed backend list and a mutable bindings table; counts backend checks.
local function resolver(names, bindings)
  local exists, calls = {}, { checks = 0 }
  for _, n in ipairs(names) do
    exists[n] = true
  end
  local r = backends.new(function(name)
    calls.checks = calls.checks + 1
    return exists[name]
  end, bindings and function(shard)
    return bindings[shard]
  end)
  return r, calls
end

it("finds a static backend and keeps it in the static table the glue reads", function()
  local r = resolver({ "shard_1_rw", "shard_1_ro" }, {})
  expect.eq({ r:find("shard_1", "ro") }, { "shard_1_ro", "static" })
  expect.eq(r.static, { rw = {}, ro = { shard_1 = "shard_1_ro" } })
end)

it("uses the bound spare when the shard has no static backend", function()
  local r = resolver({ "shardgate_spare_1_rw", "shardgate_spare_1_ro" }, { shard_4 = "shardgate_spare_1" })
  expect.eq({ r:find("shard_4", "rw") }, { "shardgate_spare_1_rw", "bound" })
  expect.eq({ r:find("shard_4", "ro") }, { "shardgate_spare_1_ro", "bound" })
  expect.eq(r.static, { rw = {}, ro = {} })
end)

it("prefers the static backend over a binding of the same shard", function()
  local r = resolver({ "shard_1_rw", "shardgate_spare_1_rw" }, { shard_1 = "shardgate_spare_1" })
  expect.eq({ r:find("shard_1", "rw") }, { "shard_1_rw", "static" })
end)

it("sees a rebinding and an unbinding on the next call", function()
  local bindings = { shard_4 = "shardgate_spare_1" }
  local r = resolver({ "shardgate_spare_1_rw", "shardgate_spare_2_rw" }, bindings)
  expect.eq(r:find("shard_4", "rw"), "shardgate_spare_1_rw")
  bindings.shard_4 = "shardgate_spare_2"
  expect.eq(r:find("shard_4", "rw"), "shardgate_spare_2_rw")
  bindings.shard_4 = nil
  expect.eq({ r:find("shard_4", "rw") }, { nil, nil })
end)

it("checks HAProxy for a shard's static backend and a spare's name only once", function()
  local r, calls = resolver({ "shardgate_spare_1_rw" }, { shard_4 = "shardgate_spare_1" })
  for _ = 1, 5 do
    expect.eq(r:find("shard_4", "rw"), "shardgate_spare_1_rw")
  end
  expect.eq(calls.checks, 2) -- shard_4_rw (absent), shardgate_spare_1_rw (present)
end)

it("names the binding whose backend is missing, and nothing for an unbound shard", function()
  local r = resolver({ "shardgate_spare_1_rw" }, { shard_4 = "shardgate_spare_1", shard_5 = "gone" })
  expect.eq({ r:find("shard_4", "ro") }, { nil, "shardgate_spare_1" })
  expect.eq({ r:find("shard_5", "rw") }, { nil, "gone" })
  expect.eq({ r:find("shard_6", "rw") }, { nil, nil })
end)

it("finds only static backends without a shards map", function()
  local r = resolver({ "shard_1_rw", "shardgate_spare_1_rw" })
  expect.eq(r:find("shard_1", "rw"), "shard_1_rw")
  expect.eq({ r:find("shard_4", "rw") }, { nil, nil })
end)

it("bounds the memory of shards without a static backend", function()
  local saved = backends.MAX_UNSTATIC
  backends.MAX_UNSTATIC = 3
  local r, calls = resolver({}, {})
  for i = 1, 10 do
    r:find("s" .. i, "rw")
  end
  backends.MAX_UNSTATIC = saved
  expect.truthy(r.unstatic_count <= 3, tostring(r.unstatic_count))
  expect.eq(calls.checks, 10)
  r:find("s10", "rw") -- still remembered: no new check
  expect.eq(calls.checks, 10)
end)

it("explains a missing backend by what was looked at", function()
  expect.eq(backends.why_missing("shard_9", "rw", nil, false),
    "no backend shard_9_rw and no shards map to bind it to a spare backend")
  expect.eq(backends.why_missing("shard_9", "ro", nil, true),
    "no backend shard_9_ro and no binding in the shards map")
  expect.eq(backends.why_missing("shard_9", "rw", "shardgate_spare_7", true),
    "no backend shard_9_rw and its binding shardgate_spare_7 has no backend shardgate_spare_7_rw")
end)
