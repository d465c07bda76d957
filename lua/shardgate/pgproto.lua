-- PostgreSQL wire-protocol pieces the router needs: ErrorResponse bytes, the walk over the
-- server's first messages to BackendKeyData, BackendKeyData decoding, cancel keys.

local _M = {}

local pack, unpack, byte, gsub, format, sub, find = string.pack, string.unpack, string.byte,
  string.gsub, string.format, string.sub, string.find

_M.MAX_MESSAGE_FIELD = 1000 -- message text is cut here: an ErrorResponse stays small
_M.KEY_DATA_MIN_LEN = 12 -- length field of 'K' in protocol 3.0: 4 + pid 4 + secret 4
_M.KEY_DATA_MAX_LEN = 8 + 256 -- protocol 3.2: secret of up to 256 bytes
_M.MAX_WALKED_MESSAGES = 64 -- server messages walked before BackendKeyData at most
_M.MAX_WALKED_SIZE = 8192 -- a larger message ends the walk (never seen before 'K')

local function field(code, text)
  return code .. gsub(text, "\0", "") .. "\0"
end

-- error_response(severity, sqlstate, message) -> bytes of an ErrorResponse ('E').
-- psql prints it as "<severity>:  <message>". Fields: S (localized severity), V (severity,
-- never localized), C (SQLSTATE), M (message); the list ends with a NUL.
function _M.error_response(severity, sqlstate, message)
  message = sub(message, 1, _M.MAX_MESSAGE_FIELD)
  local body = field("S", severity) .. field("V", severity) .. field("C", sqlstate) ..
    field("M", message) .. "\0"
  return "E" .. pack(">I4", 4 + #body) .. body
end

-- backend_key_data(msg) -> pid, secret bytes | nil, reason. msg is one whole 'K' message.
function _M.backend_key_data(msg)
  if byte(msg, 1) ~= byte("K") or #msg < 5 then
    return nil, "not a BackendKeyData message"
  end
  local len = unpack(">I4", msg, 2)
  if len < _M.KEY_DATA_MIN_LEN or len > _M.KEY_DATA_MAX_LEN or #msg ~= 1 + len then
    return nil, "BackendKeyData with length " .. len
  end
  return unpack(">I4", msg, 6), sub(msg, 10)
end

-- Walk to BackendKeyData ----------------------------------------------------------------

local BYTE_K, BYTE_E, BYTE_Z, BYTE_R = byte("K"), byte("E"), byte("Z"), byte("R")
local KEY_DATA_30 = "K\0\0\0\12" -- BackendKeyData header with a 4-byte secret
local MAX_WALKED_MESSAGES, MAX_WALKED_SIZE = _M.MAX_WALKED_MESSAGES, _M.MAX_WALKED_SIZE
local SHORT_LENGTH = "server message length below 4"
local OVERSIZE = "server message longer than " .. MAX_WALKED_SIZE .. " bytes"

-- walk_to_key(buf, pos, seen) -> verdict, ...
-- Walks the complete server messages in buf from pos (where a message starts); seen counts
-- the messages walked by earlier calls (0 at first). Verdicts:
--   "need", upto, want, seen   buf[1..upto] ends with complete messages, forward them; the
--                              message at upto + 1 needs `want` bytes from its start before
--                              the walk goes on; pass `seen` back with the next call
--   "key", first, last         BackendKeyData at buf[first..last] (type byte included):
--                              forward through last; the walk is over
--   "stop", upto               ErrorResponse, ReadyForQuery or MAX_WALKED_MESSAGES reached:
--                              forward through upto; the walk is over
--   nil, reason, upto          the message at upto + 1 has an impossible or oversize length:
--                              forward the complete messages through upto; the walk is over
-- Plain values only, no table and no string built: this runs on every server connection.
function _M.walk_to_key(buf, pos, seen)
  local n = #buf
  while n - pos >= 4 do
    local kind, len = unpack("B>I4", buf, pos)
    if len < 4 then
      return nil, SHORT_LENGTH, pos - 1
    end
    if 1 + len > MAX_WALKED_SIZE then
      return nil, OVERSIZE, pos - 1
    end
    local last = pos + len
    if last > n then
      return "need", pos - 1, 1 + len, seen
    end
    seen = seen + 1
    if kind == BYTE_R and len == 8 and unpack(">I4", buf, pos + 5) == 0 then
      -- AuthenticationOk. What follows is NUL-terminated text (ParameterStatus, Notice,
      -- Error) in which "K\0\0\0\12" can only be a 3.0 BackendKeyData header: jump there
      -- (docs/router.md, "Cancel keys").
      local k = find(buf, KEY_DATA_30, last + 1, true)
      if k and k + 12 <= n then
        return "key", k, k + 12
      end
    end
    if kind == BYTE_K then
      return "key", pos, last
    end
    if kind == BYTE_E or kind == BYTE_Z or seen >= MAX_WALKED_MESSAGES then
      return "stop", last
    end
    pos = last + 1
  end
  return "need", pos - 1, 5, seen -- fewer than 5 bytes: the rest of a header
end

-- cancel_key(pid, secret) -> "<pid>.<secret as lower-case hex>", the cancel map key.
local function hex_byte(c)
  return format("%02x", byte(c))
end

function _M.cancel_key(pid, secret)
  if #secret == 4 then -- protocol 3.0: one format call instead of one per byte
    return format("%d.%08x", pid, unpack(">I4", secret))
  end
  return pid .. "." .. gsub(secret, ".", hex_byte)
end

-- cancel_id_bits(pid, secret as a 32-bit integer) -> the integer cancel_id() gives for it.
function _M.cancel_id_bits(pid, secret_bits)
  return (pid << 32) | secret_bits
end

-- cancel_id(pid, secret) -> the key a Lua state's own cancel records use: one integer
-- (pid in the high 32 bits, secret in the low ones) for the 4-byte secrets of protocol 3.0,
-- so 100,000 records are not 100,000 strings for the garbage collector to walk; the
-- cancel_key() text for longer (protocol 3.2) secrets.
function _M.cancel_id(pid, secret)
  if #secret == 4 then
    return _M.cancel_id_bits(pid, unpack(">I4", secret))
  end
  return _M.cancel_key(pid, secret)
end

return _M
