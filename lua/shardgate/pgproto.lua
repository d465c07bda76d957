-- PostgreSQL wire-protocol pieces the router needs: ErrorResponse bytes, BackendKeyData
-- decoding, cancel keys. (Server message framing is read inline by the tracker.)

local _M = {}

local pack, unpack, byte, gsub, format, sub = string.pack, string.unpack, string.byte,
  string.gsub, string.format, string.sub

_M.MAX_MESSAGE_FIELD = 1000 -- message text is cut here: an ErrorResponse stays small
_M.KEY_DATA_MIN_LEN = 12 -- length field of 'K' in protocol 3.0: 4 + pid 4 + secret 4
_M.KEY_DATA_MAX_LEN = 8 + 256 -- protocol 3.2: secret of up to 256 bytes

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
