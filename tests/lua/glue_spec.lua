-- Specs of lua/shardgate_haproxy.lua against a recording fake of HAProxy's Lua API.
local it = ...
local expect = require("expect")
local fake = require("fake_haproxy")
local packets = require("packets")

local fixture = require("glue_fixture")
local RANGES, CANCELS, SHARDS = fixture.RANGES, fixture.CANCELS, fixture.SHARDS
local setup, connect, options = fixture.setup, fixture.connect, fixture.options
local ranges_map, refusal = fixture.ranges_map, fixture.refusal

it("registers the route and track actions and one background task", function()
  local core = setup()
  expect.eq({ core.actions.shardgate_route.kinds, core.actions.shardgate_route.nargs }, { { "tcp-req" }, 1 })
  expect.eq({ core.actions.shardgate_track.kinds, core.actions.shardgate_track.nargs }, { { "tcp-res" }, 0 })
  expect.eq(#core.tasks, 1)
end)

it("refuses to load without the ranges map variable, naming it", function()
  local _, err = fake.load_glue({ SHARDGATE_CANCEL_MAP = CANCELS }, { [CANCELS] = {} })
  expect.truthy(tostring(err):find("SHARDGATE_RANGES_MAP is not set", 1, true), tostring(err))
end)

it("refuses to load with a key pattern lacking a capture", function()
  local _, err = fake.load_glue({ SHARDGATE_RANGES_MAP = RANGES, SHARDGATE_CANCEL_MAP = CANCELS,
    SHARDGATE_KEY_PATTERN = "%d+" }, { [RANGES] = {}, [CANCELS] = {} })
  expect.truthy(tostring(err):find("SHARDGATE_KEY_PATTERN", 1, true), tostring(err))
end)

it("routes a keyed startup to <shard>_<role> and sets the variables", function()
  local txn = connect(setup(), options("-c shardgate.key=42"), "ro")
  expect.eq(txn.vars, { ["txn.shardgate_backend"] = "shard_a_ro", ["txn.shardgate_key"] = "42",
    ["txn.shardgate_shard"] = "shard_a", ["txn.shardgate_role"] = "ro" })
  expect.eq({ txn.sent, txn.ended }, { {}, false })
end)

it("answers an SSLRequest with N and routes the startup that follows in the same segment", function()
  local txn = connect(setup(), packets.ssl() .. options("-c shardgate.key=7"))
  expect.eq(txn.sent, { "N" })
  expect.eq(txn.vars["txn.shardgate_backend"], "shard_a_rw")
end)

it("lets the role option override the frontend role", function()
  local txn = connect(setup(), options("-c shardgate.key=7 -c shardgate.role=ro"), "rw")
  expect.eq(txn.vars["txn.shardgate_backend"], "shard_a_ro")
end)

it("refuses a startup without a key with 08004 and tells how to pass one", function()
  local r = refusal(connect(setup(), options("-c search_path=x")))
  expect.eq({ r.code, r.sqlstate, r.done, r.routed }, { "no_key", "08004", true, nil })
  expect.truthy(r.message:find("PGOPTIONS='-c shardgate.key=<n>'", 1, true), r.message)
end)

it("refuses a bad key naming it, and a bad role", function()
  local r = refusal(connect(setup(), options("-c shardgate.key=12x")))
  expect.eq({ r.code, r.sqlstate }, { "bad_key", "08004" })
  expect.truthy(r.message:find('"12x"', 1, true), r.message)
  r = refusal(connect(setup(), options("-c shardgate.key=1 -c shardgate.role=rx")))
  expect.eq({ r.code, r.sqlstate }, { "bad_role", "08004" })
end)

it("refuses an unmapped key, a missing backend and a backend without servers", function()
  local core = setup()
  local r = refusal(connect(core, options("-c shardgate.key=100")))
  expect.eq({ r.code, r.sqlstate }, { "no_shard", "08004" })
  r = refusal(connect(core, options("-c shardgate.key=-5")))
  expect.eq({ r.code, r.sqlstate }, { "no_backend", "08004" })
  expect.truthy(r.message:find("shard_b_rw", 1, true), r.message)
  r = refusal(connect(core, options("-c shardgate.key=5"), "rw", { nbsrv = {} }))
  expect.eq({ r.code, r.sqlstate }, { "no_server", "57P03" })
end)

-- setup() with the shards map and two spare backend pairs; shard_b has no static backend.
local function setup_spares()
  local core, maps = setup({ SHARDGATE_SHARDS_MAP = SHARDS })
  for _, name in ipairs({ "shardgate_spare_1_rw", "shardgate_spare_1_ro", "shardgate_spare_2_rw",
    "shardgate_spare_2_ro" }) do
    core.backends[name] = {}
  end
  return core, maps
end

local SPARE_SERVERS = { nbsrv = { shard_a_rw = 1, shardgate_spare_1_rw = 1, shardgate_spare_2_rw = 1 } }

it("routes a shard without a static backend to its bound spare and follows a rebinding", function()
  local core, maps = setup_spares()
  maps[SHARDS].shard_b = "shardgate_spare_1"
  local txn = connect(core, options("-c shardgate.key=-5"), "rw", SPARE_SERVERS)
  expect.eq({ txn.vars["txn.shardgate_backend"], txn.vars["txn.shardgate_shard"] },
    { "shardgate_spare_1_rw", "shard_b" })
  maps[SHARDS].shard_b = "shardgate_spare_2"
  txn = connect(core, options("-c shardgate.key=-5"), "rw", SPARE_SERVERS)
  expect.eq(txn.vars["txn.shardgate_backend"], "shardgate_spare_2_rw")
end)

it("keeps a shard with a static backend there whatever the shards map says", function()
  local core, maps = setup_spares()
  maps[SHARDS].shard_a = "shardgate_spare_1"
  local txn = connect(core, options("-c shardgate.key=5"), "rw", SPARE_SERVERS)
  expect.eq(txn.vars["txn.shardgate_backend"], "shard_a_rw")
end)

it("refuses an unbound shard, or one bound to a missing spare, saying it has no backend", function()
  local core, maps = setup_spares()
  local r = refusal(connect(core, options("-c shardgate.key=-5"), "rw", SPARE_SERVERS))
  expect.eq({ r.code, r.sqlstate, r.routed }, { "no_backend", "08004", nil })
  expect.eq(r.message, "shardgate: shard shard_b of shard key -5 has no HAProxy backend (static " ..
    "or bound): no backend shard_b_rw and no binding in the shards map")
  maps[SHARDS].shard_b = "shardgate_spare_9"
  r = refusal(connect(core, options("-c shardgate.key=-5"), "rw", SPARE_SERVERS))
  expect.truthy(r.message:find("its binding shardgate_spare_9 has no backend shardgate_spare_9_rw",
    1, true), r.message)
  maps[SHARDS].shard_b = "shardgate_spare_1"
  r = refusal(connect(core, options("-c shardgate.key=-5"), "ro", SPARE_SERVERS))
  expect.eq({ r.code, r.sqlstate }, { "no_server", "57P03" })
end)

it("refuses malformed packets with 08P01", function()
  local r = refusal(connect(setup(), packets.startup({ "user", "app" }, 0, 2)))
  expect.eq({ r.code, r.sqlstate }, { "malformed", "08P01" })
  r = refusal(connect(setup(), packets.ssl() .. packets.ssl() .. packets.ssl()))
  expect.eq({ r.code, r.sqlstate }, { "malformed", "08P01" })
end)

local function last_log(core)
  return core.logs[#core.logs]
end

it("leaves a startup cut short by an expired inspect-delay unrouted for the reject rule", function()
  local core = setup()
  local startup = options("-c shardgate.key=1")
  local txn = connect(core, startup:sub(1, 12))
  expect.eq({ txn.vars, txn.sent, txn.ended }, { {}, {}, false })
  expect.truthy(last_log(core):find("event=startup_incomplete reason=\"inspect-delay expired after 12 of " ..
    #startup .. " bytes\"", 1, true), last_log(core))
end)

it("refuses with 08P01 a startup whose client closed its side before the announced length", function()
  local startup = options("-c shardgate.key=1")
  local r = refusal(connect(setup(), startup:sub(1, 12), "rw", { input_closed = true }))
  expect.eq({ r.code, r.sqlstate, r.done, r.routed }, { "malformed", "08P01", true, nil })
  expect.eq(r.message, "shardgate: invalid startup packet: client input ended after 12 of " ..
    #startup .. " bytes")
end)

it("refuses with 08P01 a client that closes inside the length and code header", function()
  local r = refusal(connect(setup(), "\0\0\0", "rw", { input_closed = true }))
  expect.eq({ r.code, r.sqlstate }, { "malformed", "08P01" })
  expect.truthy(r.message:find("ended after 3 of 8 bytes", 1, true), r.message)
end)

it("closes silently a client that closes without sending a byte, as port scanners do", function()
  local core = setup()
  local txn = connect(core, "", "rw", { input_closed = true })
  expect.eq({ txn.vars, txn.sent, txn.ended }, { {}, {}, false })
  expect.truthy(last_log(core):find("reason=\"client closed after 0 bytes\"", 1, true), last_log(core))
end)

it("closes silently a client that closes after its SSLRequest was answered", function()
  local txn = connect(setup(), packets.ssl(), "rw", { input_closed = true })
  expect.eq({ txn.vars, txn.sent, txn.ended }, { {}, { "N" }, false })
end)

it("uses a new map version on the next connection after a commit", function()
  local core, maps = setup()
  expect.eq(connect(core, options("-c shardgate.key=150")).vars["txn.shardgate_error"], "no_shard")
  maps[RANGES] = ranges_map(2, { { 100, 199, "shard_a" } })
  expect.eq(connect(core, options("-c shardgate.key=150")).vars["txn.shardgate_backend"], "shard_a_rw")
end)

it("records BackendKeyData with the server address, forwarding every message", function()
  local core, maps = setup()
  local key_data = packets.backend_message("K", string.pack(">I4", 77) .. "\1\2\3\4")
  local response = packets.backend_message("R", "\0\0\0\0") .. key_data .. packets.backend_message("Z", "I")
  local txn = fake.new_txn(core, "", { response = response, dst = { "10.0.0.5", 5432 } })
  fake.run(core, "shardgate_track", txn)
  expect.eq(maps[CANCELS], { ["77.01020304"] = "10.0.0.5:5432" })
  -- R and K forwarded (in one call when both were already received), Z left to flow on.
  expect.eq(table.concat(txn.forwarded), packets.backend_message("R", "\0\0\0\0") .. key_data)
end)

-- ParameterStatus as PostgreSQL 15 sends it, and names/values ending in K next to NULs.
local function parameter_status(name, value)
  return packets.backend_message("S", name .. "\0" .. value .. "\0")
end

it("finds BackendKeyData after AuthenticationOk among many ParameterStatus messages", function()
  local core = setup(nil, { thread = 0 })
  local head = packets.backend_message("R", "\0\0\0\0")
  for _, p in ipairs({ { "application_name", "psql" }, { "K", "" }, { "DateStyle", "K" },
      { "server_version", "15.14" }, { "TimeZone", "Etc/UTC" } }) do
    head = head .. parameter_status(p[1], p[2])
  end
  local key_data = packets.backend_message("K", string.pack(">I4", 31337) .. "\9\8\7\6")
  local txn = fake.new_txn(core, "", { response = head .. key_data .. packets.backend_message("Z", "I"),
    dst = { "10.0.0.7", 5432 } })
  fake.run(core, "shardgate_track", txn)
  expect.eq(table.concat(txn.forwarded), head .. key_data)
  expect.eq(connect(core, packets.cancel(31337, "\9\8\7\6")).vars["txn.shardgate_cancel_addr"], "10.0.0.7")
end)

it("records the key after a SASL exchange and a protocol 3.2 key with a long secret", function()
  local core = setup(nil, { thread = 0 })
  local final = packets.backend_message("R", string.pack(">I4", 12) .. "v=K\0\0\0\12xyz") ..
    packets.backend_message("R", "\0\0\0\0") .. parameter_status("is_superuser", "on")
  local long = string.rep("\171", 32)
  local key_data = packets.backend_message("K", string.pack(">I4", 99) .. long)
  local txn = fake.new_txn(core, "", { response = final .. key_data .. packets.backend_message("Z", "I"),
    dst = { "10.0.0.8", 5433 } })
  fake.run(core, "shardgate_track", txn)
  expect.eq(table.concat(txn.forwarded), final .. key_data)
  expect.eq(connect(core, packets.cancel(99, long)).vars["txn.shardgate_cancel_port"], 5433)
end)

it("stops tracking at an impossible message length without touching the data", function()
  local core, maps = setup()
  local txn = fake.new_txn(core, "", { response = "R\0\0\0\1garbage", dst = { "10.0.0.5", 5432 } })
  fake.run(core, "shardgate_track", txn)
  expect.eq({ maps[CANCELS], txn.forwarded }, { {}, {} })
end)

it("routes a CancelRequest to the recorded server and drops an unknown one", function()
  local core, maps = setup()
  maps[CANCELS]["77.01020304"] = "10.0.0.5:5432"
  local txn = connect(core, packets.cancel(77, "\1\2\3\4"))
  expect.eq(txn.vars, { ["txn.shardgate_backend"] = "shardgate_cancel",
    ["txn.shardgate_cancel_addr"] = "10.0.0.5", ["txn.shardgate_cancel_port"] = 5432 })
  local unknown = connect(core, packets.cancel(78, "\1\2\3\4"))
  expect.eq({ unknown.vars, unknown.sent, unknown.ended },
    { { ["txn.shardgate_error"] = "unknown_cancel" }, {}, true })
end)

it("deletes expired cancel records from the map in the background task", function()
  local core, maps = setup()
  local response = packets.backend_message("K", string.pack(">I4", 9) .. "\0\0\0\1")
  fake.run(core, "shardgate_track", fake.new_txn(core, "", { response = response, dst = { "10.0.0.6", 5432 } }))
  expect.eq(maps[CANCELS]["9.00000001"], "10.0.0.6:5432")
  core.clock = core.clock + 60
  local task = coroutine.wrap(core.tasks[1])
  core.msleep = function() coroutine.yield() end
  task()
  expect.eq(maps[CANCELS], {})
  expect.eq(core.del_maps, { { CANCELS, "9.00000001" } })
end)

-- Cancel records and the shared map: written only when another Lua state may need them.

local function track_key(core, pid, secret, dst)
  local response = packets.backend_message("R", "\0\0\0\0") ..
    packets.backend_message("K", string.pack(">I4", pid) .. secret) .. packets.backend_message("Z", "I")
  local txn = fake.new_txn(core, "", { response = response, dst = dst })
  fake.run(core, "shardgate_track", txn)
  return txn
end

it("keeps cancel records in the Lua state only under lua-load (shared state)", function()
  local core, maps = setup(nil, { thread = 0, nbthread = 2 })
  local txn = track_key(core, 77, "\1\2\3\4", { "10.0.0.5", 5432 })
  expect.eq({ #table.concat(txn.forwarded), maps[CANCELS], core.set_maps }, { 9 + 13, {}, {} })
  local cancel = connect(core, packets.cancel(77, "\1\2\3\4"))
  expect.eq(cancel.vars, { ["txn.shardgate_backend"] = "shardgate_cancel",
    ["txn.shardgate_cancel_addr"] = "10.0.0.5", ["txn.shardgate_cancel_port"] = 5432 })
  expect.truthy(core.logs[1]:find("lua_thread=0 cancel_records=state", 1, true), core.logs[1])
end)

it("keeps cancel records in the Lua state only with one thread per process", function()
  local core, maps = setup(nil, { thread = 1, nbthread = 1 })
  track_key(core, 77, "\1\2\3\4", { "10.0.0.5", 5432 })
  expect.eq({ maps[CANCELS], core.set_maps }, { {}, {} })
  expect.eq(connect(core, packets.cancel(77, "\1\2\3\4")).vars["txn.shardgate_cancel_addr"], "10.0.0.5")
end)

it("mirrors cancel records into the shared map with several per-thread states", function()
  local core, maps = setup(nil, { thread = 2, nbthread = 2 })
  track_key(core, 77, "\1\2\3\4", { "10.0.0.5", 5432 })
  expect.eq(maps[CANCELS], { ["77.01020304"] = "10.0.0.5:5432" })
  -- Another state (a second glue on the same maps) finds it through the map.
  local other = assert(fake.load_glue({ SHARDGATE_RANGES_MAP = RANGES, SHARDGATE_CANCEL_MAP = CANCELS },
    maps, { thread = 1, nbthread = 2 }))
  other.backends = core.backends
  expect.eq(connect(other, packets.cancel(77, "\1\2\3\4")).vars["txn.shardgate_cancel_addr"], "10.0.0.5")
end)

it("forgets an expired state-only cancel record without touching the map", function()
  local core, maps = setup(nil, { thread = 0 })
  track_key(core, 9, "\0\0\0\1", { "10.0.0.6", 5432 })
  core.clock = core.clock + 60
  local task = coroutine.wrap(core.tasks[1])
  core.msleep = function() coroutine.yield() end
  task()
  expect.eq({ maps[CANCELS], core.del_maps }, { {}, {} })
  local cancel = connect(core, packets.cancel(9, "\0\0\0\1"))
  expect.eq(cancel.vars, { ["txn.shardgate_error"] = "unknown_cancel" })
end)

it("routes a CancelRequest recorded by hand in the map under lua-load too", function()
  local core, maps = setup(nil, { thread = 0 })
  maps[CANCELS]["5.0a0b0c0d"] = "[::1]:5433"
  local txn = connect(core, packets.cancel(5, "\10\11\12\13"))
  expect.eq({ txn.vars["txn.shardgate_cancel_addr"], txn.vars["txn.shardgate_cancel_port"] }, { "::1", 5433 })
end)

it("records IPv6 server addresses in brackets and keeps servers apart", function()
  local core = setup(nil, { thread = 0 })
  track_key(core, 1, "\0\0\0\1", { "::1", 5433 })
  track_key(core, 2, "\0\0\0\2", { "::1", 5434 })
  track_key(core, 3, "\0\0\0\3", { "10.0.0.9", 5433 })
  local seen = {}
  for pid = 1, 3 do
    local vars = connect(core, packets.cancel(pid, "\0\0\0" .. string.char(pid))).vars
    seen[pid] = vars["txn.shardgate_cancel_addr"] .. " " .. vars["txn.shardgate_cancel_port"]
  end
  expect.eq(seen, { "::1 5433", "::1 5434", "10.0.0.9 5433" })
end)
