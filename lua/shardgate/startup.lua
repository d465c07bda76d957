-- Incremental parser of the first packet a PostgreSQL client sends (startup, SSL/GSS/cancel).
--
-- parse(buf) looks at the bytes received so far and returns one of:
--   { kind = "need", need = n }        n = total bytes required before parsing can go on
--   { kind = "ssl",    len = 8 }       SSLRequest: answer 'N' and expect the next packet
--   { kind = "gssenc", len = 8 }       GSSENCRequest: same
--   { kind = "cancel", len, pid, secret }          secret = raw bytes (4 in 3.0, 4..256 in 3.2)
--   { kind = "startup", len, major, minor, params } params = { name = value }
--   nil, reason                        malformed; reason is fit for a log line
-- `len` is the number of bytes the packet occupies at the start of buf; bytes after it
-- (e.g. a StartupMessage sent in the same segment as an SSLRequest) are left alone.

local _M = {}

local unpack, find, sub = string.unpack, string.find, string.sub

_M.MIN_LEN = 8
_M.MAX_LEN = 10000 -- PostgreSQL's MAX_STARTUP_PACKET_LENGTH
_M.SSL_CODE = 80877103
_M.GSSENC_CODE = 80877104
_M.CANCEL_CODE = 80877102
_M.CANCEL_MIN_LEN = 16 -- length + code + pid + 4-byte secret (protocol 3.0)
_M.CANCEL_MAX_LEN = 12 + 256 -- protocol 3.2 allows secrets of up to 256 bytes
_M.MAX_PARAMS = 64

local function negotiation(kind, len)
  if len ~= 8 then
    return nil, kind .. " request with length " .. len .. " instead of 8"
  end
  return { kind = kind, len = 8 }
end

local function cancel(buf, len)
  if len < _M.CANCEL_MIN_LEN or len > _M.CANCEL_MAX_LEN then
    return nil, "cancel request with length " .. len .. " outside " .. _M.CANCEL_MIN_LEN .. ".." .. _M.CANCEL_MAX_LEN
  end
  local pid = unpack(">I4", buf, 9)
  return { kind = "cancel", len = len, pid = pid, secret = sub(buf, 13, len) }
end

-- Parameters are NUL-terminated name/value pairs ending with an empty name; the final NUL
-- must be the packet's last byte.
local function parameters(buf, len)
  local params, count, pos = {}, 0, 9
  while true do
    local name_end = find(buf, "\0", pos, true)
    if not name_end or name_end > len then
      return nil, "startup parameters not terminated"
    end
    if name_end == pos then
      if pos ~= len then
        return nil, "bytes after the startup parameter terminator"
      end
      return params
    end
    local value_end = find(buf, "\0", name_end + 1, true)
    if not value_end or value_end > len then
      return nil, "startup parameter without a value"
    end
    if value_end == len then
      return nil, "startup parameter list without terminator"
    end
    count = count + 1
    if count > _M.MAX_PARAMS then
      return nil, "more than " .. _M.MAX_PARAMS .. " startup parameters"
    end
    -- A repeated name keeps the last value, as PostgreSQL does.
    params[sub(buf, pos, name_end - 1)] = sub(buf, name_end + 1, value_end - 1)
    pos = value_end + 1
  end
end

local function startup(buf, len, code)
  local major, minor = code >> 16, code & 0xffff
  if major ~= 3 then
    return nil, "unsupported protocol version " .. major .. "." .. minor
  end
  local params, err = parameters(buf, len)
  if not params then
    return nil, err
  end
  return { kind = "startup", len = len, major = major, minor = minor, params = params }
end

-- parse(buf) -> result table | nil, reason (see the top of this file)
function _M.parse(buf)
  if #buf < 4 then
    return { kind = "need", need = _M.MIN_LEN }
  end
  local len = unpack(">I4", buf)
  if len < _M.MIN_LEN or len > _M.MAX_LEN then
    return nil, "packet length " .. len .. " outside " .. _M.MIN_LEN .. ".." .. _M.MAX_LEN
  end
  if #buf < len then
    return { kind = "need", need = len }
  end
  local code = unpack(">I4", buf, 5)
  if code == _M.SSL_CODE then
    return negotiation("ssl", len)
  elseif code == _M.GSSENC_CODE then
    return negotiation("gssenc", len)
  elseif code == _M.CANCEL_CODE then
    return cancel(buf, len)
  end
  return startup(buf, len, code)
end

return _M
