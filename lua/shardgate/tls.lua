-- The router's TLS decisions, pure: what a frontend does with TLS (its action argument) and
-- whether bytes start a TLS ClientHello.
--
-- A frontend's argument is "<role>" or "<role>/<tls>" (docs/router.md, "TLS"):
--   rw, ro            TLS off: SSLRequest -> 'N', the session goes on in clear text
--   rw/tls            SSLRequest -> 'S' and the encrypted stream is handed to the TLS frontend;
--                     a ClientHello as the first bytes (PostgreSQL 17 direct TLS) likewise
--   rw/tls-required   the same, and a clear-text StartupMessage is refused (SQLSTATE 28000)
--   rw/in-tls         the internal frontend that terminated TLS: the startup is decrypted

local _M = {}

local byte, unpack = string.byte, string.unpack

-- Bytes needed to recognise a ClientHello: the record header (type, version, length) and the
-- handshake message type.
_M.HELLO_LEN = 6

local TLS = { off = true, tls = true, ["tls-required"] = true, ["in-tls"] = true }

-- mode(argument) -> { role, tls, accepts, required, inner } | nil, reason
-- accepts: answer 'S' and take direct TLS; required: refuse a clear-text startup; inner: the
-- stream is already decrypted (an encryption request in it is a protocol violation).
function _M.mode(argument)
  local text = tostring(argument)
  local role, tls = text:match("^(%a+)/([%a-]+)$")
  if not role then
    role, tls = text, "off"
  end
  if role ~= "rw" and role ~= "ro" then
    return nil, "lua.shardgate_route needs rw or ro (optionally /tls, /tls-required or /in-tls), got " .. text
  end
  if not TLS[tls] then
    return nil, "lua.shardgate_route: unknown TLS mode " .. tls .. " in " .. text ..
      " (tls, tls-required or in-tls)"
  end
  return {
    role = role,
    tls = tls,
    accepts = tls == "tls" or tls == "tls-required",
    required = tls == "tls-required",
    inner = tls == "in-tls",
  }
end

-- client_hello(buf) -> true | false, reason
-- Whether buf (at least HELLO_LEN bytes) starts with a TLS handshake record carrying a
-- ClientHello: type 22, version 3.x (x <= 4), a record length a TLS record can have
-- (1..2^14 + 2048), handshake type 1.
function _M.client_hello(buf)
  if #buf < _M.HELLO_LEN then
    return false, "only " .. #buf .. " bytes"
  end
  local record, major, minor = byte(buf, 1, 3)
  if record ~= 22 or major ~= 3 or minor > 4 then
    return false, ("not a TLS handshake record (first bytes %02x %02x %02x)"):format(record, major, minor)
  end
  local len = unpack(">I2", buf, 4)
  if len < 1 or len > 16384 + 2048 then
    return false, "TLS record length " .. len .. " out of range"
  end
  local kind = byte(buf, 6)
  if kind ~= 1 then
    return false, "TLS handshake message " .. kind .. " instead of a ClientHello (1)"
  end
  return true
end

-- looks_like_tls(buf): a cheap first-byte test (a TLS handshake record starts with 22, which
-- no PostgreSQL first packet does: their length would be at least 22 * 2^24 bytes).
function _M.looks_like_tls(buf)
  return byte(buf, 1) == 22
end

return _M
