-- A recording fake of the HAProxy Lua API pieces the router glue uses (core, Map, txn),
-- so the glue's decisions are tested without HAProxy. Fakes record what was done to them.

local _M = {}

local DONE = setmetatable({}, { __tostring = function() return "txn:done()" end })

-- load_glue(env, maps, opts?) -> fake core. env: environment variables; maps: path -> { k = v }.
-- opts.thread: core.thread while loading (0 = the shared state of lua-load; default 1, a
-- lua-load-per-thread state); opts.nbthread: Nbthread of core.get_info() (default 2).
function _M.load_glue(env, maps, opts)
  opts = opts or {}
  local core = {
    actions = {}, tasks = {}, logs = {}, set_maps = {}, del_maps = {},
    backends = {}, clock = 1000, thread = opts.thread or 1,
  }
  function core.get_info()
    return { Nbthread = opts.nbthread or 2 }
  end
  function core.register_action(name, kinds, fn, nargs)
    core.actions[name] = { kinds = kinds, fn = fn, nargs = nargs }
  end
  function core.register_task(fn)
    core.tasks[#core.tasks + 1] = fn
  end
  for _, level in ipairs({ "Info", "Warning", "Alert" }) do
    core[level] = function(line)
      core.logs[#core.logs + 1] = level .. " " .. line
    end
  end
  function core.now()
    return { sec = core.clock, usec = 0 }
  end
  function core.set_map(path, k, v)
    core.set_maps[#core.set_maps + 1] = { path, k, v }
    maps[path][k] = v
  end
  function core.del_map(path, k)
    core.del_maps[#core.del_maps + 1] = { path, k }
    maps[path][k] = nil
  end
  local Map = { _str = "str" }
  function Map.new(path, kind)
    assert(kind == "str" and maps[path], "unexpected map " .. tostring(path))
    return { lookup = function(_, k) return maps[path][k] end }
  end
  local saved_getenv = os.getenv
  _G.core, _G.Map = core, Map
  os.getenv = function(name) return env[name] end
  package.loaded["shardgate_haproxy"] = nil
  local ok, err = pcall(require, "shardgate_haproxy")
  os.getenv = saved_getenv
  _G.core, _G.Map = nil, nil
  if not ok then
    return nil, err
  end
  return core
end

-- new_txn(core, client_bytes, opts) -> fake txn. opts.nbsrv = { backend = n }, opts.dst,
-- opts.frontend (fe_name, default "shardgate_rw"), opts.bind (so_name), opts.alpn (ssl_fc_alpn).
-- The client sends client_bytes and nothing more; a short data() read then stands for an
-- expired inspect-delay, or with opts.input_closed for a client that shut its write side
-- (what txn.req:may_recv() tells apart in HAProxy).
function _M.new_txn(core, input, opts)
  opts = opts or {}
  local txn = { vars = {}, sent = {}, ended = false, forwarded = {} }
  local function channel(get, set)
    return {
      -- Without a length, everything received (HAProxy yields while there is nothing;
      -- here nothing more ever comes: nil once the input is closed, else "").
      data = function(_, off, len)
        off = off or 0
        if len == nil then
          local rest = get():sub(off + 1)
          if rest == "" and opts.input_closed then return nil end
          return rest
        end
        return get():sub(off + 1, off + len)
      end,
      input = function() return #get() end,
      may_recv = function() return not opts.input_closed end,
      remove = function(_, off, len) local b = get() set(b:sub(1, off) .. b:sub(off + len + 1)) end,
      send = function(_, bytes) txn.sent[#txn.sent + 1] = bytes end,
      forward = function(_, n)
        txn.forwarded[#txn.forwarded + 1] = get():sub(1, n)
        set(get():sub(n + 1))
      end,
    }
  end
  txn.req = channel(function() return input end, function(v) input = v end)
  local response = opts.response or ""
  txn.res = channel(function() return response end, function(v) response = v end)
  function txn.set_var(_, name, value)
    txn.vars[name] = value
  end
  function txn.done(_)
    txn.ended = true
    error(DONE)
  end
  txn.f = {
    nbsrv = function(_, be) return (opts.nbsrv or {})[be] or 0 end,
    fe_name = function() return opts.frontend or "shardgate_rw" end,
    so_name = function() return opts.bind end,
    src = function() return "192.0.2.7" end,
    ssl_fc_alpn = function() return opts.alpn end,
    bc_dst = function() return opts.dst and opts.dst[1] end,
    bc_dst_port = function() return opts.dst and opts.dst[2] end,
  }
  return txn
end

-- run(core, action, txn, ...) runs an action like HAProxy: txn:done() ends it.
function _M.run(core, action, txn, ...)
  local ok, err = pcall(core.actions[action].fn, txn, ...)
  if not ok and err ~= DONE then
    error(err, 0)
  end
end

return _M
