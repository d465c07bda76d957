-- Specs of shardgate.tls: frontend TLS modes and ClientHello recognition.
local it = ...
local expect = require("expect")
local packets = require("packets")
local tls = require("shardgate.tls")

local pack = string.pack

it("reads a bare role as TLS off", function()
  expect.eq(tls.mode("rw"), { role = "rw", tls = "off", accepts = false, required = false, inner = false })
end)

it("reads the TLS modes after the role", function()
  expect.eq(tls.mode("ro/tls"), { role = "ro", tls = "tls", accepts = true, required = false, inner = false })
  expect.eq(tls.mode("rw/tls-required"),
    { role = "rw", tls = "tls-required", accepts = true, required = true, inner = false })
  expect.eq(tls.mode("ro/in-tls"), { role = "ro", tls = "in-tls", accepts = false, required = false, inner = true })
end)

it("refuses an unknown role or TLS mode, naming what it got", function()
  local mode, reason = tls.mode("primary")
  expect.eq(mode, nil)
  expect.truthy(reason:find("got primary", 1, true), reason)
  mode, reason = tls.mode("rw/ssl")
  expect.eq(mode, nil)
  expect.truthy(reason:find("unknown TLS mode ssl", 1, true), reason)
  expect.eq(tls.mode(nil), nil)
end)

it("recognises a ClientHello record and only that", function()
  expect.eq(tls.client_hello(packets.client_hello()), true)
  expect.eq(tls.client_hello(pack(">BBBI2B", 22, 3, 3, 512, 1)), true)
end)

it("rejects bytes that are not a ClientHello, saying why", function()
  local cases = {
    { packets.startup({ "user", "a" }), "not a TLS handshake record" },
    { pack(">BBBI2B", 23, 3, 3, 100, 1), "not a TLS handshake record (first bytes 17 03 03)" },
    { pack(">BBBI2B", 22, 2, 0, 100, 1), "not a TLS handshake record" },
    { pack(">BBBI2B", 22, 3, 9, 100, 1), "not a TLS handshake record" },
    { pack(">BBBI2B", 22, 3, 1, 0, 1), "TLS record length 0 out of range" },
    { pack(">BBBI2B", 22, 3, 1, 40000, 1), "TLS record length 40000 out of range" },
    { pack(">BBBI2B", 22, 3, 1, 100, 2), "TLS handshake message 2 instead of a ClientHello" },
    { pack(">BBB", 22, 3, 1), "only 3 bytes" },
  }
  for _, c in ipairs(cases) do
    local ok, why = tls.client_hello(c[1])
    expect.eq(ok, false, c[2])
    expect.truthy(why:find(c[2], 1, true), why)
  end
end)

it("tells TLS from PostgreSQL packets by the first byte", function()
  expect.eq(tls.looks_like_tls(packets.client_hello()), true)
  expect.eq(tls.looks_like_tls(packets.ssl()), false)
  expect.eq(tls.looks_like_tls(packets.startup({ "user", "a" })), false)
end)
