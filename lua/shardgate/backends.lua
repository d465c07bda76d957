-- Which HAProxy backend serves a shard's role: its static backend "<shard>_<role>", else the
-- spare backend pair the shards map binds the shard to ("<base>_<role>", e.g.
-- shardgate_spare_1_rw).
--
-- HAProxy 2.6 cannot add or remove backends at run time, so within a Lua state whether a
-- backend exists never changes: found names are kept for good (the static ones in
-- `resolver.static`, which the glue reads itself on its hot path), and so is the absence of a
-- static backend (bounded, since the range map may name anything). Bindings do change at run
-- time (the controller edits the shards map), so a bound shard's binding is read on every
-- call: a rebinding is seen by the next connection. Only the name built from a base is kept.

local _M = {}

-- Shards remembered as having no static backend, per role; the memory bound of that cache.
_M.MAX_UNSTATIC = 10000

local Resolver = {}
Resolver.__index = Resolver

-- new(has_backend, bound_base?) -> resolver
--   has_backend(name) -> truthy when HAProxy has a backend of that name
--   bound_base(shard) -> the base name the shards map binds shard to, or nil; absent when
--   there is no shards map
function _M.new(has_backend, bound_base)
  return setmetatable({
    has_backend = has_backend,
    bound_base = bound_base,
    static = { rw = {}, ro = {} }, -- role -> shard -> "<shard>_<role>", backends that exist
    unstatic = { rw = {}, ro = {} }, -- role -> shard -> true: no static backend
    unstatic_count = 0,
    slots = { rw = {}, ro = {} }, -- role -> base -> "<base>_<role>", backends that exist
  }, Resolver)
end

function Resolver:forget_static(role, shard)
  if self.unstatic_count >= _M.MAX_UNSTATIC then
    self.unstatic, self.unstatic_count = { rw = {}, ro = {} }, 0
  end
  self.unstatic[role][shard] = true
  self.unstatic_count = self.unstatic_count + 1
end

-- resolver:find(shard, role) -> name, "static" | "bound"  |  nil, base?
-- role is "rw" or "ro". On failure base is the shard's binding whose backend is missing, or
-- nil when the shard is not bound (or there is no shards map).
function Resolver:find(shard, role)
  if not self.unstatic[role][shard] then
    local name = shard .. "_" .. role
    if self.has_backend(name) then
      self.static[role][shard] = name
      return name, "static"
    end
    self:forget_static(role, shard)
  end
  local base = self.bound_base and self.bound_base(shard)
  if base == nil then
    return nil, nil
  end
  local slots = self.slots[role]
  local name = slots[base]
  if name then
    return name, "bound"
  end
  name = base .. "_" .. role
  if self.has_backend(name) then
    slots[base] = name
    return name, "bound"
  end
  return nil, base
end

-- why_missing(shard, role, base?, has_shards_map) -> the reason find() gave nothing, for the
-- no_backend refusal; base is find()'s second result.
function _M.why_missing(shard, role, base, has_shards_map)
  local static = "no backend " .. shard .. "_" .. role
  if base ~= nil then
    return static .. " and its binding " .. base .. " has no backend " .. base .. "_" .. role
  elseif has_shards_map then
    return static .. " and no binding in the shards map"
  end
  return static .. " and no shards map to bind it to a spare backend"
end

return _M
