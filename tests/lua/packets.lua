-- Builders of client packets for the Lua specs (fixtures as functions, not pasted bytes).

local _M = {}

local pack = string.pack

-- startup(params_list, minor?, major?) with params_list = { "user", "alice", "options", "..." }
function _M.startup(params, minor, major)
  local body = pack(">I4", ((major or 3) << 16) | (minor or 0))
  for _, s in ipairs(params) do
    body = body .. s .. "\0"
  end
  body = body .. "\0"
  return pack(">I4", 4 + #body) .. body
end

-- raw(code, payload): a packet with any code and payload, length computed.
function _M.raw(code, payload)
  return pack(">I4I4", 8 + #payload, code) .. payload
end

-- client_hello(body_len?): a TLS 1.2-framed handshake record carrying a ClientHello (type 1)
-- with a filler body, as the first bytes of a TLS connection look.
function _M.client_hello(body_len)
  local body = string.rep("\0", body_len or 200)
  local handshake = pack(">B", 1) .. pack(">I3", #body) .. body
  return pack(">BBBI2", 22, 3, 1, #handshake) .. handshake
end

function _M.ssl()
  return pack(">I4I4", 8, 80877103)
end

function _M.gssenc()
  return pack(">I4I4", 8, 80877104)
end

function _M.cancel(pid, secret)
  return pack(">I4I4I4", 12 + #secret, 80877102, pid) .. secret
end

-- backend_message(type, body): one server message.
function _M.backend_message(kind, body)
  return kind .. pack(">I4", 4 + #body) .. body
end

return _M
