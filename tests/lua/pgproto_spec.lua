-- Specs of shardgate.pgproto: ErrorResponse bytes, backend framing, BackendKeyData.
local it = ...
local expect = require("expect")
local packets = require("packets")
local pgproto = require("shardgate.pgproto")

it("builds an ErrorResponse byte for byte", function()
  local bytes = pgproto.error_response("FATAL", "08004", "no key")
  local body = "SFATAL\0VFATAL\0C08004\0Mno key\0\0"
  expect.eq(bytes, "E" .. string.pack(">I4", 4 + #body) .. body)
end)

it("drops NUL bytes from fields so the message cannot be cut short", function()
  local bytes = pgproto.error_response("FATAL", "08P01", "bad\0text")
  expect.truthy(bytes:find("Mbadtext\0\0", 1, true), "NUL removed")
end)

it("caps the message length so a hostile key cannot bloat the reply", function()
  local bytes = pgproto.error_response("FATAL", "08004", string.rep("k", 5000))
  expect.truthy(#bytes < pgproto.MAX_MESSAGE_FIELD + 40, "size " .. #bytes)
end)

it("decodes a protocol 3.0 BackendKeyData", function()
  local msg = packets.backend_message("K", string.pack(">I4", 31337) .. "\222\173\190\239")
  expect.eq({ pgproto.backend_key_data(msg) }, { 31337, "\222\173\190\239" })
end)

it("decodes a protocol 3.2 BackendKeyData with a 32-byte secret", function()
  local secret = string.rep("\1", 32)
  local msg = packets.backend_message("K", string.pack(">I4", 5) .. secret)
  expect.eq({ pgproto.backend_key_data(msg) }, { 5, secret })
end)

it("refuses BackendKeyData with a short, oversize or truncated body", function()
  expect.fails("length 8", pgproto.backend_key_data, packets.backend_message("K", "\0\0\0\1"))
  expect.fails("length 265", pgproto.backend_key_data, packets.backend_message("K", "\0\0\0\1" .. string.rep("s", 257)))
  local whole = packets.backend_message("K", "\0\0\0\1\0\0\0\2")
  expect.fails("length 12", pgproto.backend_key_data, whole:sub(1, -2))
  expect.fails("not a BackendKeyData", pgproto.backend_key_data, packets.backend_message("Z", "I"))
end)

it("names a cancel key by pid and lower-case hex secret", function()
  expect.eq(pgproto.cancel_key(4242, "\0\171\16\255"), "4242.00ab10ff")
end)

it("keeps 3.0 cancel ids as one integer and longer secrets as the map text", function()
  expect.eq(pgproto.cancel_id(4242, "\0\171\16\255"), (4242 << 32) | 0x00ab10ff)
  expect.eq(pgproto.cancel_id(4294967295, "\255\255\255\255"), -1) -- all 64 bits set
  local long = string.rep("\1", 32)
  expect.eq(pgproto.cancel_id(5, long), pgproto.cancel_key(5, long))
end)
