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
--
-- The router itself uses frame() and scanner(): the same checks and verdicts without a
-- table or a copy per connection (startup_spec checks that they agree with parse()).

local _M = {}

local unpack, find, sub, byte = string.unpack, string.find, string.sub, string.byte

_M.MIN_LEN = 8
_M.MAX_LEN = 10000 -- PostgreSQL's MAX_STARTUP_PACKET_LENGTH
_M.SSL_CODE = 80877103
_M.GSSENC_CODE = 80877104
_M.CANCEL_CODE = 80877102
_M.CANCEL_MIN_LEN = 16 -- length + code + pid + 4-byte secret (protocol 3.0)
_M.CANCEL_MAX_LEN = 12 + 256 -- protocol 3.2 allows secrets of up to 256 bytes
_M.MAX_PARAMS = 64

-- frame(buf) -> kind, len | "need", n | nil, reason
-- The allocation-free core of parse(): what the first packet is and how long, with every
-- length check, but no table and no substring. kind is "ssl", "gssenc", "cancel" or
-- "startup"; a startup's parameters are checked by a scanner() or parse().
function _M.frame(buf)
  local have = #buf
  if have < 4 then
    return "need", _M.MIN_LEN
  end
  local len = unpack(">I4", buf)
  if len < _M.MIN_LEN or len > _M.MAX_LEN then
    return nil, "packet length " .. len .. " outside " .. _M.MIN_LEN .. ".." .. _M.MAX_LEN
  end
  if have < len then
    return "need", len
  end
  local code = unpack(">I4", buf, 5)
  if code == _M.SSL_CODE or code == _M.GSSENC_CODE then
    local kind = code == _M.SSL_CODE and "ssl" or "gssenc"
    if len ~= 8 then
      return nil, kind .. " request with length " .. len .. " instead of 8"
    end
    return kind, 8
  elseif code == _M.CANCEL_CODE then
    if len < _M.CANCEL_MIN_LEN or len > _M.CANCEL_MAX_LEN then
      return nil, "cancel request with length " .. len .. " outside " .. _M.CANCEL_MIN_LEN ..
        ".." .. _M.CANCEL_MAX_LEN
    end
    return "cancel", len
  end
  local major = code >> 16
  if major ~= 3 then
    return nil, "unsupported protocol version " .. major .. "." .. (code & 0xffff)
  end
  return "startup", len
end

-- Parameters are NUL-terminated name/value pairs ending with an empty name; the final NUL
-- must be the packet's last byte.
-- param_at(buf, len, pos) -> name_end, value_end of the pair starting at pos
--                          | false at the terminator | nil, reason
local function param_at(buf, len, pos)
  local name_end = find(buf, "\0", pos, true)
  if not name_end or name_end > len then
    return nil, "startup parameters not terminated"
  end
  if name_end == pos then
    if pos ~= len then
      return nil, "bytes after the startup parameter terminator"
    end
    return false
  end
  local value_end = find(buf, "\0", name_end + 1, true)
  if not value_end or value_end > len then
    return nil, "startup parameter without a value"
  end
  if value_end == len then
    return nil, "startup parameter list without terminator"
  end
  return name_end, value_end
end

local function parameters(buf, len)
  local params, count, pos = {}, 0, 9
  while true do
    local name_end, value_end = param_at(buf, len, pos)
    if not name_end then
      if name_end == false then
        return params
      end
      return nil, value_end
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

-- Reads every parameter of a startup packet whose last byte is NUL with one unpack("zz")
-- per pair; returns true, value of name_a, value of name_b, or nil at anything unusual
-- (the caller then asks parameters() for the exact reason). unpack raises only when a
-- name's NUL is the packet's last byte and nothing follows: the caller's pcall catches it.
local function read_values(buf, len, name_a, name_b)
  local pos, count, value_a, value_b = 9, 0, nil, nil
  while pos < len do
    local name, value, next_pos = unpack("zz", buf, pos)
    if name == "" or next_pos > len then
      return nil
    end
    count = count + 1
    if count > _M.MAX_PARAMS then
      return nil
    end
    if name == name_a then -- interned strings: compared by address
      value_a = value
    elseif name == name_b then
      value_b = value
    end
    pos = next_pos
  end
  return true, value_a, value_b
end

-- scanner(name_a, name_b?) -> scan(buf, len) -> true, value of name_a, value of name_b
--                                             | nil, reason
-- scan checks a startup packet's parameters exactly like parse() (same verdicts, same
-- reasons) and returns only the values of the parameters name_a and name_b (nil when
-- absent; for a repeated name the last one, which PostgreSQL keeps), without building a
-- table: the router's per-connection path. Unusual packets take parse()'s own walk.
function _M.scanner(name_a, name_b)
  return function(buf, len)
    if len > 8 and byte(buf, len) == 0 then -- (an 8-byte packet's last byte is its code's)
      local ran, ok, value_a, value_b = pcall(read_values, buf, len, name_a, name_b)
      if ran and ok then
        return true, value_a, value_b
      end
    end
    local params, reason = parameters(buf, len)
    if not params then
      return nil, reason
    end
    return true, params[name_a], name_b and params[name_b]
  end
end

-- parse(buf) -> result table | nil, reason (see the top of this file)
function _M.parse(buf)
  local kind, len = _M.frame(buf)
  if not kind then
    return nil, len
  elseif kind == "need" then
    return { kind = "need", need = len }
  elseif kind == "ssl" or kind == "gssenc" then
    return { kind = kind, len = len }
  elseif kind == "cancel" then
    return { kind = "cancel", len = len, pid = unpack(">I4", buf, 9), secret = sub(buf, 13, len) }
  end
  local params, err = parameters(buf, len)
  if not params then
    return nil, err
  end
  local code = unpack(">I4", buf, 5)
  return { kind = "startup", len = len, major = code >> 16, minor = code & 0xffff, params = params }
end

return _M
