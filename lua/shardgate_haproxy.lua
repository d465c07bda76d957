-- HAProxy entry point of the router: registers shardgate_route, shardgate_track and the
-- background task. Thin glue over the pure modules in lua/shardgate/.
--
-- Load with (global section, setenv lines first: they are read once, here):
--   lua-prepend-path <repo>/lua/?.lua
--   lua-load <repo>/lua/shardgate_haproxy.lua
-- Contracts (variables, backend names, error codes): docs/interfaces.md.

local startup = require("shardgate.startup")
local key = require("shardgate.key")
local rangemap = require("shardgate.rangemap")
local pgproto = require("shardgate.pgproto")
local cancel = require("shardgate.cancel")
local backends = require("shardgate.backends")
local tls = require("shardgate.tls")

local core, Map = core, Map
local tostring, sub, unpack = tostring, string.sub, string.unpack
local frame = startup.frame
local cancel_id, cancel_key = pgproto.cancel_id, pgproto.cancel_key
local walk_to_key = pgproto.walk_to_key

local CANCEL_BACKEND = "shardgate_cancel"
local MAX_NEGOTIATIONS = 2 -- one GSSENCRequest and one SSLRequest, as libpq may send
local SWEEP_BATCH = 1000 -- cancel records deleted per task round
local TASK_PERIOD_MS = 1000
local MAX_LOG_VALUE = 120

-- Logging ----------------------------------------------------------------------------

local function log_value(v)
  v = tostring(v):sub(1, MAX_LOG_VALUE):gsub("[%c\"]", "?")
  if v == "" or v:find("[%s=]") then
    return '"' .. v .. '"'
  end
  return v
end

-- log(level_fn, event, "k1", v1, "k2", v2, ...): one logfmt line.
local function log(level_fn, event, ...)
  local parts, args = { "shardgate event=" .. event }, { ... }
  for i = 1, #args - 1, 2 do
    parts[#parts + 1] = args[i] .. "=" .. log_value(args[i + 1])
  end
  level_fn(table.concat(parts, " "))
end

-- Configuration, read once at load --------------------------------------------------

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return default
  end
  return value
end

local function required_env(name)
  local value = env(name)
  if value == nil then
    error(name .. " is not set: add `setenv " .. name .. " <path>` before lua-load", 0)
  end
  return value
end

local RANGES_MAP = required_env("SHARDGATE_RANGES_MAP")
local CANCEL_MAP = required_env("SHARDGATE_CANCEL_MAP")
local SHARDS_MAP = env("SHARDGATE_SHARDS_MAP") -- shard -> spare backend base; optional
local CANCEL_TTL = tonumber(env("SHARDGATE_CANCEL_TTL", tostring(cancel.DEFAULT_TTL)))
local KEY_PARAM = env("SHARDGATE_KEY_PARAM", key.DEFAULT_PARAM)
local KEY_PATTERN = env("SHARDGATE_KEY_PATTERN")

local extractor, key_err = key.new({ param = KEY_PARAM, pattern = KEY_PATTERN })
if not extractor then
  error("SHARDGATE_KEY_PATTERN: " .. key_err, 0)
end
local tracker, ttl_err = cancel.new(CANCEL_TTL)
if not tracker then
  error("SHARDGATE_CANCEL_TTL: " .. ttl_err, 0)
end

-- Cancel records live in this Lua state's tracker, looked up there first; they are mirrored
-- into the shared cancel map only when another Lua state may serve the CancelRequest, as
-- HAProxy 2.6's map writes cost more with every record in the map (docs/router.md,
-- "Cancel keys"). core.thread is 0 in the shared state of lua-load.
local function shares_state()
  if (core.thread or 0) == 0 then
    return true
  end
  local ok, info = pcall(core.get_info)
  return ok and type(info) == "table" and tonumber(info.Nbthread) == 1
end
local MIRROR_CANCELS = not shares_state()

-- Finds the key's carrier parameter and `options` in a startup packet.
local CARRIER_IS_OPTIONS = KEY_PARAM == key.DEFAULT_PARAM
local scan = startup.scanner(KEY_PARAM, not CARRIER_IS_OPTIONS and key.DEFAULT_PARAM or nil)

-- Seconds, for cancel-record expiry: read at load and by the background task every second
-- rather than per connection (core.now() builds a table each call). Records may thus live
-- up to a second longer than their TTL.
local now_sec = core.now().sec

local ranges = Map.new(RANGES_MAP, Map._str)
local cancels = Map.new(CANCEL_MAP, Map._str)
local bindings = SHARDS_MAP and Map.new(SHARDS_MAP, Map._str)
-- A connection that finds another one decoding a new map version waits for it (up to about
-- DECODE_WAIT_MS) rather than route with the version HAProxy has already replaced.
local DECODE_WAIT_MS = 5000
local DECODE_POLL_MS = 2
local loader = rangemap.new_loader(function(k)
  return ranges:lookup(k)
end, function(n)
  if n * DECODE_POLL_MS > DECODE_WAIT_MS then
    return false
  end
  core.msleep(DECODE_POLL_MS)
  return true
end)

local USING_DEFAULT_CARRIER = KEY_PARAM == key.DEFAULT_PARAM and KEY_PATTERN == nil
local KEY_HINT = USING_DEFAULT_CARRIER
    and "pass one with PGOPTIONS='-c shardgate.key=<n>' or options=-c shardgate.key=<n> in the connection string"
    or ("pass one in the startup parameter " .. KEY_PARAM ..
        (KEY_PATTERN and (" matching " .. KEY_PATTERN) or ""))

-- Range map ---------------------------------------------------------------------------

-- current_map(recheck?) -> compiled map; decodes a new version at most once per Lua state
-- (recheck: the background task also retries a map refused for inconsistent chunks).
local function current_map(recheck)
  local map, event = loader:refresh(recheck)
  if event and event.name == "map_loaded" then
    log(core.Info, "map_loaded", "version", event.version, "segments", event.segments)
  elseif event then
    log(core.Warning, "map_rejected", "meta", event.version_text, "reason", event.reason)
  end
  return map
end

-- Routing -----------------------------------------------------------------------------

local SQLSTATE = {
  malformed = "08P01", no_key = "08004", bad_key = "08004", bad_role = "08004",
  no_shard = "08004", no_backend = "08004", no_server = "57P03", tls_required = "28000",
}

-- Refuses the connection: records the code, answers with a FATAL ErrorResponse and ends
-- the session. Does not return.
local function refuse(txn, code, message, reason)
  txn:set_var("txn.shardgate_error", code)
  log(core.Info, "route_refused", "code", code, "reason", reason or message)
  txn.res:send(pgproto.error_response("FATAL", SQLSTATE[code], message))
  txn:done()
end

local function printable(text)
  return (tostring(text):sub(1, 64):gsub("[^%w%p ]", "?"))
end

local function key_message(code, text)
  if code == "no_key" then
    return "shardgate: no shard key in the startup message; " .. KEY_HINT
  elseif code == "bad_key" then
    return "shardgate: shard key \"" .. printable(text) ..
      "\" is not a signed 64-bit integer; " .. KEY_HINT
  end
  return "shardgate: shardgate.role \"" .. printable(text) .. "\" is invalid; use rw or ro"
end

-- short_read(txn, got, want) -> nil, code?, reason
-- txn.req:data() returned fewer bytes than wanted: either the client shut its write side
-- or tcp-request inspect-delay expired; txn.req:may_recv() tells them apart (docs/router.md,
-- step 3). A packet the client ended itself has a wrong length: code "malformed". Nothing at
-- all (port scanners, TCP health checks) and an expired delay get no code: no reply, as
-- PostgreSQL closes silently on authentication_timeout.
local function short_read(txn, got, want)
  local counts = got .. " of " .. want .. " bytes"
  if txn.req:may_recv() then
    return nil, nil, "inspect-delay expired after " .. counts
  end
  if got == 0 then
    return nil, nil, "client closed after 0 bytes"
  end
  return nil, "malformed", "client input ended after " .. counts
end

-- TLS hand-off ------------------------------------------------------------------------

-- The backends that carry a frontend's encrypted streams to its TLS frontend (rendered by
-- `shardgate-haproxy config`): "<frontend>_to_tls" after an SSLRequest, "..._direct" for a
-- ClientHello sent first. Kept per frontend name; nil when the configuration lacks them.
local handoffs = {}

local function handoff_backend(txn, how)
  local frontend = txn.f:fe_name()
  local names = handoffs[frontend]
  if not names then
    names = {}
    for _, h in ipairs({ "negotiated", "direct" }) do
      local name = frontend .. (h == "direct" and "_to_tls_direct" or "_to_tls")
      if core.backends[name] then
        names[h] = name
      else
        log(core.Alert, "config_error", "reason", "backend " .. name .. " is missing: TLS " .. h ..
          " sessions of frontend " .. frontend .. " cannot be served; render the configuration" ..
          " with shardgate-haproxy config")
      end
    end
    handoffs[frontend] = names
  end
  return names[how]
end

-- Hands the still-encrypted stream to the TLS frontend. The outer frontend's log line is
-- silenced for it (the TLS frontend logs the session).
local function hand_off(txn, backend, how)
  txn:set_var("txn.shardgate_tls_handoff", how)
  txn:set_var("txn.shardgate_backend", backend)
end

-- Ends a session in which the client expects TLS: no PostgreSQL message can be sent any more
-- (the client would read it as a broken TLS record), so it is closed, as PostgreSQL closes when
-- its TLS handshake fails. Does not return.
local function drop_tls(txn, code, reason)
  txn:set_var("txn.shardgate_error", code)
  log(core.Info, "tls_refused", "code", code, "reason", reason, "client", txn.f:src())
  txn:done()
end

-- After 'S': the client's next bytes must open a TLS handshake.
local function await_client_hello(txn, backend)
  local want = tls.HELLO_LEN
  local buf = txn.req:data(0, want) or ""
  if #buf < want then
    local _, _, reason = short_read(txn, #buf, want)
    log(core.Info, "tls_incomplete", "reason", reason .. " after 'S'")
    return txn:done()
  end
  local ok, why = tls.client_hello(buf)
  if not ok then
    return drop_tls(txn, "not_tls", "after 'S': " .. why)
  end
  hand_off(txn, backend, "negotiated")
end

-- read_packet(txn, mode) -> buf, kind, len | nil, code?, reason | nil, "handed_off"
-- Waits for a complete first packet. SSLRequest: 'S' and the hand-off when TLS is on, else
-- 'N' (the session goes on in clear text); GSSENCRequest: 'N'. A ClientHello as the first bytes
-- is handed off when TLS is on. kind and len are startup.frame()'s ("startup" or "cancel"); the
-- packet is buf's first len bytes. Returns nil without a code when the client sent nothing
-- before closing or inspect-delay expired first (see short_read).
local function read_packet(txn, mode)
  local req = txn.req
  local want, negotiations = startup.MIN_LEN, 0
  while true do
    -- data() without a length copies everything received (usually the whole packet: one
    -- call per connection); with a length it waits for that many bytes.
    local buf = req:data()
    if buf == nil or #buf < want then
      buf = req:data(0, want) or ""
    end
    if negotiations == 0 and mode.accepts and tls.looks_like_tls(buf) then
      local backend = handoff_backend(txn, "direct")
      local ok, why = tls.client_hello(buf)
      if ok and backend then
        hand_off(txn, backend, "direct")
        return nil, "handed_off"
      end
      return drop_tls(txn, "not_tls", why or "direct TLS is not configured")
    end
    local kind, len = frame(buf)
    if not kind then
      if tls.looks_like_tls(buf) and not mode.inner then
        len = len .. " (a TLS ClientHello: direct TLS is off on this port)"
      end
      return nil, "malformed", len
    end
    if kind == "need" then
      if #buf < want then
        return short_read(txn, #buf, want)
      end
      want = len
    elseif kind == "ssl" or kind == "gssenc" then
      if mode.inner then
        return nil, "malformed", kind .. " request inside an encrypted session"
      end
      negotiations = negotiations + 1
      if negotiations > MAX_NEGOTIATIONS then
        return nil, "malformed", "more than " .. MAX_NEGOTIATIONS .. " encryption requests"
      end
      req:remove(0, len)
      local backend = kind == "ssl" and mode.accepts and handoff_backend(txn, "negotiated")
      if backend then
        txn.res:send("S")
        await_client_hello(txn, backend)
        return nil, "handed_off"
      end
      txn.res:send("N") -- 'N': no encryption of this kind here; the client goes on in clear text
      want = startup.MIN_LEN
    else
      return buf, kind, len
    end
  end
end

-- A shard's backend: its static "<shard>_<role>", else the spare its shards-map binding names
-- (shardgate.backends). Static names are kept once found: HAProxy 2.6 cannot add backends at
-- run time, so a name found once stays valid until a reload (a new Lua state). The route reads
-- STATIC[role][shard] itself, which saves a string concatenation and a core.backends lookup per
-- connection; resolver:find is the miss path, taken on every connection of a bound shard (one
-- shards-map lookup), since bindings change at run time. nbsrv stays per connection.
local resolver = backends.new(function(name)
  return core.backends[name] ~= nil
end, bindings and function(shard)
  return bindings:lookup(shard)
end)
local STATIC = resolver.static

-- Routes a complete StartupMessage (buf's first len bytes). The hot path: no table is
-- built, only the two values needed are copied out of buf.
local function route_startup(txn, frontend_role, buf, len)
  local ok, carrier, options = scan(buf, len)
  if not ok then
    local reason = carrier
    return refuse(txn, "malformed", "shardgate: invalid startup packet: " .. reason, reason)
  end
  if CARRIER_IS_OPTIONS then
    options = carrier
  end
  local shard_key, key_text, role, offending = extractor:extract_values(carrier, options)
  if not shard_key then
    local code, detail = key_text, role
    return refuse(txn, code, key_message(code, offending),
      offending and (detail .. ": " .. offending) or detail)
  end
  role = role or frontend_role
  txn:set_var("txn.shardgate_key", key_text)
  txn:set_var("txn.shardgate_role", role)
  local map = current_map()
  local shard = rangemap.lookup(map, shard_key)
  if not shard then
    return refuse(txn, "no_shard", "shardgate: no shard covers shard key " .. key_text ..
      " (range map version " .. map.version .. ")")
  end
  txn:set_var("txn.shardgate_shard", shard)
  local backend = STATIC[role][shard]
  if not backend then
    local base
    backend, base = resolver:find(shard, role)
    if not backend then
      return refuse(txn, "no_backend", "shardgate: shard " .. shard .. " of shard key " ..
        key_text .. " has no HAProxy backend (static or bound): " ..
        backends.why_missing(shard, role, base, bindings ~= nil))
    end
  end
  if txn.f:nbsrv(backend) < 1 then
    return refuse(txn, "no_server", "shardgate: no available " .. role .. " server for shard " ..
      shard .. " (shard key " .. key_text .. ")")
  end
  txn:set_var("txn.shardgate_backend", backend)
end

-- The id a cancel record is kept under in this Lua state: an integer for 4-byte secrets
-- (pgproto.cancel_id), except when records are mirrored into the shared map, whose keys
-- are text (expired ids are then deleted from the map as they are).
local record_id = MIRROR_CANCELS and cancel_key or cancel_id

-- A CancelRequest goes to the server that issued the key; unknown keys are dropped
-- silently, as PostgreSQL itself answers nothing to a cancel.
local function route_cancel(txn, buf, len)
  local pid, secret = unpack(">I4", buf, 9), sub(buf, 13, len)
  local addr = tracker:lookup(record_id(pid, secret)) or cancels:lookup(cancel_key(pid, secret))
  local ip, port
  if addr then
    ip, port = addr:match("^%[?([^%]]+)%]?:(%d+)$")
  end
  if not ip or not core.backends[CANCEL_BACKEND] then
    txn:set_var("txn.shardgate_error", "unknown_cancel")
    log(core.Info, "cancel_unknown", "pid", pid, "record", addr, "backend", CANCEL_BACKEND)
    txn:done()
    return
  end
  txn:set_var("txn.shardgate_cancel_addr", ip)
  txn:set_var("txn.shardgate_cancel_port", math.tointeger(tonumber(port)))
  txn:set_var("txn.shardgate_backend", CANCEL_BACKEND)
  log(core.Info, "cancel_routed", "pid", pid, "server", addr)
end

-- The frontend's argument parsed once per distinct text (shardgate.tls.mode); false = invalid.
local modes = {}

local function frontend_mode(argument)
  local mode = modes[argument]
  if mode == nil then
    local reason
    mode, reason = tls.mode(argument)
    if not mode then
      log(core.Alert, "config_error", "reason", reason)
    end
    modes[argument] = mode or false
  end
  return mode
end

-- tcp-request content action; argument: the frontend's role and TLS mode (shardgate.tls).
local function route(txn, argument)
  local mode = frontend_mode(argument)
  if not mode then
    return
  end
  if mode.inner and txn.f:so_name() == "direct" and txn.f:ssl_fc_alpn() ~= "postgresql" then
    -- PostgreSQL 17 refuses direct TLS without ALPN "postgresql" (it guards against another
    -- protocol's client being talked into PostgreSQL); a session that began with an SSLRequest
    -- may come without ALPN (libpq before 17 sends none).
    return drop_tls(txn, "no_alpn", "direct TLS without ALPN postgresql")
  end
  local buf, kind, len = read_packet(txn, mode)
  if not buf then
    local code, reason = kind, len
    if code == "handed_off" then
      return
    end
    if code then
      return refuse(txn, code, "shardgate: invalid startup packet: " .. reason, reason)
    end
    log(core.Info, "startup_incomplete", "reason", reason)
    return
  end
  if kind == "cancel" then
    return route_cancel(txn, buf, len)
  end
  if mode.required then
    return refuse(txn, "tls_required", "shardgate: TLS is required on this port; connect with " ..
      "sslmode=require (or verify-full)", "clear-text startup on a TLS-only frontend")
  end
  route_startup(txn, mode.role, buf, len)
end

core.register_action("shardgate_route", { "tcp-req" }, route, 1)

-- Cancel-key tracking -------------------------------------------------------------------

-- server_address(txn): the address the stream is connected to, as "ip:port" ("[ip]:port"
-- for IPv6). The strings are kept by ip then port: servers are few, so each connection
-- finds its server's string with two lookups instead of building it (a formatted number,
-- a search, a concatenation). The cache starts over past ADDRESS_CACHE_MAX entries.
local ADDRESS_CACHE_MAX = 10000
local addresses, address_count = {}, 0

local function server_address(txn)
  local f = txn.f
  local ip, port = f:bc_dst(), f:bc_dst_port()
  if not ip or not port then
    return nil
  end
  local by_port = addresses[ip]
  local addr = by_port and by_port[port]
  if addr then
    return addr
  end
  addr = (tostring(ip):find(":", 1, true) and ("[" .. ip .. "]") or ip) .. ":" .. port
  if address_count >= ADDRESS_CACHE_MAX then
    addresses, address_count = {}, 0
  end
  by_port = addresses[ip] or {}
  addresses[ip], by_port[port], address_count = by_port, addr, address_count + 1
  return addr
end

-- Records the BackendKeyData message at buf[first..last] (type byte included).
local function record_key(txn, buf, first, last)
  local pid, secret, id
  if last - first == 12 and not MIRROR_CANCELS then
    -- protocol 3.0 (4-byte secret): the id straight from the bytes, nothing copied
    local secret_bits
    pid, secret_bits = unpack(">I4I4", buf, first + 5)
    id = pgproto.cancel_id_bits(pid, secret_bits)
  else
    pid, secret = pgproto.backend_key_data(sub(buf, first, last))
    id = pid and record_id(pid, secret)
  end
  local addr = server_address(txn)
  if not pid or not addr then
    log(core.Warning, "cancel_key_unrecorded", "reason", secret or "server address unknown")
    return
  end
  local evicted = tracker:add(id, now_sec, addr)
  if MIRROR_CANCELS then
    core.set_map(CANCEL_MAP, cancel_key(pid, secret), addr)
    if evicted then
      core.del_map(CANCEL_MAP, evicted)
    end
  end
end

-- tcp-response content action on shard backends. Forwards server messages as soon as they
-- are complete (holding an authentication request back would stall SCRAM) and records
-- BackendKeyData. Everything already received is read with one data() call and walked in
-- place (pgproto.walk_to_key); the complete messages in it go on with one forward() call.
-- Never breaks a connection: anything unexpected just ends the inspection.
local function track(txn)
  local res = txn.res
  local seen, want = 0, 5 -- messages walked; bytes needed before the walk can go on
  while true do
    local buf = res:data() -- everything received; a length below waits for more
    if buf == nil or #buf < want then
      buf = res:data(0, want)
      if not buf or #buf < want then
        return
      end
    end
    local verdict, a, b, c = walk_to_key(buf, 1, seen)
    if verdict == "key" then -- BackendKeyData at buf[a..b]
      record_key(txn, buf, a, b)
      res:forward(b)
      return
    elseif verdict == "stop" then -- ErrorResponse, ReadyForQuery or enough walked
      res:forward(a)
      return
    elseif verdict == nil then -- a length no server sends: complete messages through b
      if b > 0 then
        res:forward(b)
      end
      return
    end
    if a > 0 then -- "need": complete messages through a, b bytes wanted next
      res:forward(a)
    end
    want, seen = b, c
  end
end

core.register_action("shardgate_track", { "tcp-res" }, track, 0)

-- Background task ---------------------------------------------------------------------

core.register_task(function()
  while true do
    now_sec = core.now().sec
    local expired = tracker:sweep(now_sec, SWEEP_BATCH)
    if MIRROR_CANCELS then
      for i = 1, #expired do
        core.del_map(CANCEL_MAP, expired[i])
      end
    end
    current_map(true)
    core.msleep(TASK_PERIOD_MS)
  end
end)

log(core.Info, "router_loaded", "ranges_map", RANGES_MAP, "cancel_map", CANCEL_MAP,
  "shards_map", SHARDS_MAP or "none",
  "key_param", KEY_PARAM, "key_pattern", KEY_PATTERN or "default", "cancel_ttl", CANCEL_TTL,
  "lua_thread", core.thread or 0, "cancel_records", MIRROR_CANCELS and "state+map" or "state")
