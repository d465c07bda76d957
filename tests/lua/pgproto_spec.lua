-- Specs of shardgate.pgproto: ErrorResponse bytes, the walk to BackendKeyData, cancel keys.
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

-- The walk over the server's first messages -----------------------------------------------

local walk = pgproto.walk_to_key
local message = packets.backend_message
local AUTH_OK = message("R", "\0\0\0\0")
local READY = message("Z", "I")

local function key_data(pid, secret)
  return message("K", string.pack(">I4", pid) .. secret)
end

local function parameter_status(name, value)
  return message("S", name .. "\0" .. value .. "\0")
end

-- Feeds stream to the walk `step` bytes at a time, as the glue does (forwarded bytes leave
-- the buffer). Returns what was forwarded, the BackendKeyData message found (or false) and
-- the last verdict ("need" when the stream ran out first).
local function walk_in_pieces(stream, step)
  local forwarded, buf, offered, seen, want = {}, "", 0, 0, 5
  while true do
    while #buf < want and offered < #stream do
      buf = buf .. stream:sub(offered + 1, offered + step)
      offered = offered + step
    end
    if #buf < want then
      return table.concat(forwarded), false, "need"
    end
    local verdict, a, b, c = walk(buf, 1, seen)
    local upto = (verdict == "need" or verdict == "stop") and a or b
    forwarded[#forwarded + 1] = buf:sub(1, upto)
    if verdict ~= "need" then
      return table.concat(forwarded), verdict == "key" and buf:sub(a, b), verdict
    end
    buf, want, seen = buf:sub(upto + 1), b, c
  end
end

it("finds BackendKeyData right after AuthenticationOk and forwards through it", function()
  local key = key_data(77, "\1\2\3\4")
  local stream = AUTH_OK .. key .. READY
  expect.eq({ walk(stream, 1, 0) }, { "key", #AUTH_OK + 1, #AUTH_OK + #key })
end)

it("jumps over many ParameterStatus messages, names and values ending in K included", function()
  local head = AUTH_OK
  for i = 1, 100 do -- more than MAX_WALKED_MESSAGES: only the jump reaches the key
    head = head .. parameter_status(i % 2 == 0 and "K" or "DateStyle", i % 3 == 0 and "K" or "")
  end
  local key = key_data(31337, "\9\8\7\6")
  expect.eq({ walk(head .. key .. READY, 1, 0) }, { "key", #head + 1, #head + #key })
end)

it("walks message by message to a protocol 3.2 key with a long secret", function()
  local head = AUTH_OK .. parameter_status("server_version", "17.0")
  local key = key_data(99, string.rep("\171", 32))
  expect.eq({ walk(head .. key .. READY, 1, 0) }, { "key", #head + 1, #head + #key })
end)

it("ignores the key header pattern inside a SASL message before AuthenticationOk", function()
  local sasl_final = message("R", string.pack(">I4", 12) .. "v=K\0\0\0\12xyz")
  expect.eq({ walk(sasl_final, 1, 0) }, { "need", #sasl_final, 5, 1 })
  local head = sasl_final .. AUTH_OK .. parameter_status("is_superuser", "on")
  local key = key_data(5, string.rep("\1", 32))
  expect.eq({ walk(head .. key .. READY, 1, 0) }, { "key", #head + 1, #head + #key })
end)

it("asks for the rest of a split header, then for the whole message", function()
  expect.eq({ walk(AUTH_OK:sub(1, 3), 1, 0) }, { "need", 0, 5, 0 })
  expect.eq({ walk(AUTH_OK:sub(1, 5), 1, 0) }, { "need", 0, #AUTH_OK, 0 })
  local partial = AUTH_OK .. parameter_status("TimeZone", "UTC"):sub(1, 7)
  expect.eq({ walk(partial, 1, 0) }, { "need", #AUTH_OK, 4 + #"TimeZone\0UTC\0" + 1, 1 })
end)

it("walks on when the key after AuthenticationOk has not fully arrived", function()
  local key = key_data(1, "\0\0\0\1")
  expect.eq({ walk(AUTH_OK .. key:sub(1, 9), 1, 0) }, { "need", #AUTH_OK, #key, 1 })
end)

it("forwards the same bytes and finds the same key however the stream is split", function()
  local sasl = message("R", string.pack(">I4", 11) .. "r=nonceK\0\0\0\12")
  local head = sasl .. AUTH_OK
  for i = 1, 20 do
    head = head .. parameter_status("p" .. i, "K")
  end
  local key = key_data(4242, "\0\171\16\255")
  local stream = head .. key .. READY
  for step = 1, #stream do
    expect.eq({ walk_in_pieces(stream, step) }, { head .. key, key, "key" }, "step " .. step)
  end
end)

it("stops at an ErrorResponse or a ReadyForQuery before any key", function()
  local err = message("E", "SFATAL\0C28P01\0Mpassword authentication failed\0\0")
  expect.eq({ walk(err .. READY, 1, 0) }, { "stop", #err })
  expect.eq({ walk(AUTH_OK .. READY, 1, 0) }, { "stop", #AUTH_OK + #READY })
end)

it("stops after MAX_WALKED_MESSAGES messages without a key, counting across calls", function()
  local notice = message("N", "SNOTICE\0Mhello\0\0")
  local stream = string.rep(notice, pgproto.MAX_WALKED_MESSAGES + 5)
  expect.eq({ walk(stream, 1, 0) }, { "stop", pgproto.MAX_WALKED_MESSAGES * #notice })
  expect.eq({ walk(notice .. notice, 1, pgproto.MAX_WALKED_MESSAGES - 1) }, { "stop", #notice })
  expect.eq({ walk(notice .. notice, #notice + 1, 0) }, { "need", 2 * #notice, 5, 1 })
end)

it("refuses an impossible or oversize length, forwarding only the messages before it", function()
  expect.eq({ walk("R\0\0\0\1garbage", 1, 0) }, { nil, "server message length below 4", 0 })
  local big = message("S", string.rep("x", pgproto.MAX_WALKED_SIZE))
  local reason = "server message longer than " .. pgproto.MAX_WALKED_SIZE .. " bytes"
  expect.eq({ walk(AUTH_OK .. big, 1, 0) }, { nil, reason, #AUTH_OK })
  expect.eq({ walk_in_pieces(AUTH_OK .. "garbage!" .. READY, 3) }, { AUTH_OK, false, nil })
end)
