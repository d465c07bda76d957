-- The glue loaded against the recording fake, with a small range map: shared by the glue specs.
local fake = require("fake_haproxy")
local packets = require("packets")
local rangemap = require("shardgate.rangemap")

local _M = {}

local RANGES, CANCELS, SHARDS = "/maps/ranges.map", "/maps/cancel.map", "/maps/shards.map"
_M.RANGES, _M.CANCELS, _M.SHARDS = RANGES, CANCELS, SHARDS

function _M.ranges_map(version, segs)
  local map = {}
  for _, e in ipairs(assert(rangemap.encode(version, segs))) do
    map[e[1]] = e[2]
  end
  return map
end

-- A loaded glue with shard_a on [0, 99] and shard_b on [-10, -1]; backends shard_a_rw/ro.
-- load_opts: fake.load_glue's opts (default: a lua-load-per-thread state, two threads).
function _M.setup(env_extra, load_opts)
  local maps = {
    [RANGES] = _M.ranges_map(1, { { -10, -1, "shard_b" }, { 0, 99, "shard_a" } }),
    [CANCELS] = {},
    [SHARDS] = {},
  }
  local env = { SHARDGATE_RANGES_MAP = RANGES, SHARDGATE_CANCEL_MAP = CANCELS, SHARDGATE_CANCEL_TTL = "60" }
  for k, v in pairs(env_extra or {}) do
    env[k] = v
  end
  local core = assert(fake.load_glue(env, maps, load_opts))
  core.backends = { shard_a_rw = {}, shard_a_ro = {}, shardgate_cancel = {} }
  return core, maps
end

function _M.connect(core, bytes, role, opts)
  local txn = fake.new_txn(core, bytes, opts or { nbsrv = { shard_a_rw = 1, shard_a_ro = 2 } })
  fake.run(core, "shardgate_route", txn, role or "rw")
  return txn
end

function _M.options(o)
  return packets.startup({ "user", "app", "options", o })
end

-- The SQLSTATE and message of the ErrorResponse a refused client received.
function _M.refusal(txn)
  local e = txn.sent[#txn.sent] or ""
  return { code = txn.vars["txn.shardgate_error"], sqlstate = e:match("C(%w+)\0"),
    message = e:match("M([^\0]*)\0"), done = txn.ended, routed = txn.vars["txn.shardgate_backend"] }
end

return _M
