-- Specs of the router glue's TLS paths: 'S' and the hand-off, direct TLS, TLS required, and
-- the internal frontend that terminated TLS.
local it = ...
local expect = require("expect")
local fake = require("fake_haproxy")
local packets = require("packets")
local fixture = require("glue_fixture")
local options, refusal = fixture.options, fixture.refusal

local SERVERS = { nbsrv = { shard_a_rw = 1, shard_a_ro = 1 } }

-- A glue whose configuration has the hand-off backends of frontend shardgate_rw.
local function setup_tls()
  local core = fixture.setup()
  core.backends.shardgate_rw_to_tls = {}
  core.backends.shardgate_rw_to_tls_direct = {}
  return core
end

local function connect(core, bytes, argument, opts)
  return fixture.connect(core, bytes, argument, opts or SERVERS)
end

local function handed_off(txn)
  return { txn.vars["txn.shardgate_backend"], txn.vars["txn.shardgate_tls_handoff"],
    txn.vars["txn.shardgate_key"], txn.ended }
end

it("answers an SSLRequest with S and hands the ClientHello that follows to the TLS frontend", function()
  local txn = connect(setup_tls(), packets.ssl() .. packets.client_hello(), "rw/tls")
  expect.eq(txn.sent, { "S" })
  expect.eq(handed_off(txn), { "shardgate_rw_to_tls", "negotiated", nil, false })
end)

it("hands a ClientHello sent first (direct TLS) to the direct socket without answering", function()
  local txn = connect(setup_tls(), packets.client_hello(), "rw/tls-required")
  expect.eq(txn.sent, {})
  expect.eq(handed_off(txn), { "shardgate_rw_to_tls_direct", "direct", nil, false })
end)

it("names the hand-off backends after the frontend", function()
  local core = setup_tls()
  core.backends.edge_rw_to_tls = {}
  local txn = connect(core, packets.ssl() .. packets.client_hello(), "rw/tls",
    { nbsrv = SERVERS.nbsrv, frontend = "edge_rw" })
  expect.eq(txn.vars["txn.shardgate_backend"], "edge_rw_to_tls")
end)

it("answers a GSSENCRequest with N, then an SSLRequest with S", function()
  local txn = connect(setup_tls(), packets.gssenc() .. packets.ssl() .. packets.client_hello(), "ro/tls")
  expect.eq(txn.sent, { "N", "S" })
  expect.eq(txn.vars["txn.shardgate_tls_handoff"], "negotiated")
end)

it("closes without a reply when the bytes after S are not a ClientHello", function()
  local core = setup_tls()
  local txn = connect(core, packets.ssl() .. options("-c shardgate.key=7"), "rw/tls")
  expect.eq({ txn.sent, txn.ended, txn.vars["txn.shardgate_error"], txn.vars["txn.shardgate_backend"] },
    { { "S" }, true, "not_tls", nil })
  expect.truthy(core.logs[#core.logs]:find("not a TLS handshake record", 1, true), core.logs[#core.logs])
end)

it("ends a client that never sends its ClientHello after S, naming the wait", function()
  local core = setup_tls()
  local txn = connect(core, packets.ssl(), "rw/tls")
  expect.eq({ txn.sent, txn.ended, txn.vars["txn.shardgate_backend"] }, { { "S" }, true, nil })
  expect.truthy(core.logs[#core.logs]:find("inspect-delay expired after 0 of 6 bytes after 'S'", 1, true),
    core.logs[#core.logs])
end)

it("drops direct TLS whose first record is not a ClientHello", function()
  local txn = connect(setup_tls(), string.pack(">BBBI2B", 22, 3, 1, 100, 2) .. ("x"):rep(10), "rw/tls")
  expect.eq({ txn.sent, txn.ended, txn.vars["txn.shardgate_error"] }, { {}, true, "not_tls" })
end)

it("falls back to N and alerts when the hand-off backends are missing", function()
  local core = fixture.setup()
  local txn = connect(core, packets.ssl() .. options("-c shardgate.key=7"), "rw/tls")
  expect.eq({ txn.sent, txn.vars["txn.shardgate_backend"] }, { { "N" }, "shard_a_rw" })
  local alerts = table.concat(core.logs, "\n")
  expect.truthy(alerts:find("backend shardgate_rw_to_tls is missing", 1, true), alerts)
end)

it("refuses a clear-text startup with 28000 when TLS is required, and routes it otherwise", function()
  local r = refusal(connect(setup_tls(), options("-c shardgate.key=7"), "rw/tls-required"))
  expect.eq({ r.code, r.sqlstate, r.routed }, { "tls_required", "28000", nil })
  expect.truthy(r.message:find("TLS is required on this port", 1, true), r.message)
  local txn = connect(setup_tls(), options("-c shardgate.key=7"), "rw/tls")
  expect.eq(txn.vars["txn.shardgate_backend"], "shard_a_rw")
end)

it("still routes a clear-text CancelRequest when TLS is required", function()
  local core = setup_tls()
  local track = fake.new_txn(core, "", {
    response = packets.backend_message("K", string.pack(">I4", 77) .. "\1\2\3\4"),
    dst = { "10.0.0.5", 5432 } })
  fake.run(core, "shardgate_track", track)
  local txn = connect(core, packets.cancel(77, "\1\2\3\4"), "rw/tls-required")
  expect.eq({ txn.vars["txn.shardgate_backend"], txn.vars["txn.shardgate_cancel_addr"] },
    { "shardgate_cancel", "10.0.0.5" })
end)

it("routes the decrypted startup in the TLS frontend and refuses encryption requests there", function()
  local core = setup_tls()
  local txn = connect(core, options("-c shardgate.key=7"), "ro/in-tls")
  expect.eq(txn.vars["txn.shardgate_backend"], "shard_a_ro")
  local r = refusal(connect(core, packets.ssl() .. options("-c shardgate.key=7"), "ro/in-tls"))
  expect.eq({ r.code, r.sqlstate }, { "malformed", "08P01" })
  expect.truthy(r.message:find("ssl request inside an encrypted session", 1, true), r.message)
end)

it("closes direct TLS without ALPN postgresql in the TLS frontend, before reading a byte", function()
  local core = setup_tls()
  for _, alpn in ipairs({ false, "http/1.1" }) do
    local txn = connect(core, options("-c shardgate.key=7"), "rw/in-tls",
      { nbsrv = SERVERS.nbsrv, bind = "direct", alpn = alpn or nil })
    expect.eq({ txn.sent, txn.ended, txn.vars["txn.shardgate_error"], txn.vars["txn.shardgate_backend"] },
      { {}, true, "no_alpn", nil })
  end
  expect.truthy(core.logs[#core.logs]:find("direct TLS without ALPN postgresql", 1, true), core.logs[#core.logs])
  local direct = connect(core, options("-c shardgate.key=7"), "rw/in-tls",
    { nbsrv = SERVERS.nbsrv, bind = "direct", alpn = "postgresql" })
  local negotiated = connect(core, options("-c shardgate.key=7"), "rw/in-tls",
    { nbsrv = SERVERS.nbsrv, bind = "negotiated" })
  expect.eq({ direct.vars["txn.shardgate_backend"], negotiated.vars["txn.shardgate_backend"] },
    { "shard_a_rw", "shard_a_rw" })
end)

it("refuses direct TLS with 08P01 naming it when TLS is off on the port", function()
  local r = refusal(connect(setup_tls(), packets.client_hello(), "rw"))
  expect.eq({ r.code, r.sqlstate }, { "malformed", "08P01" })
  expect.truthy(r.message:find("direct TLS is off on this port", 1, true), r.message)
end)

it("alerts once and routes nothing with an unknown TLS mode", function()
  local core = setup_tls()
  local txn = connect(core, options("-c shardgate.key=7"), "rw/ssl")
  connect(core, options("-c shardgate.key=7"), "rw/ssl")
  expect.eq({ txn.vars, txn.sent }, { {}, {} })
  local alerts = 0
  for _, line in ipairs(core.logs) do
    if line:find("unknown TLS mode ssl", 1, true) then
      alerts = alerts + 1
    end
  end
  expect.eq(alerts, 1)
end)
