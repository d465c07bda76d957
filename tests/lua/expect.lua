-- Assertions for the Lua specs: each raises an error naming what differed.

local _M = {}

local function show(v)
  if type(v) == "string" then
    return string.format("%q", #v > 200 and (v:sub(1, 200) .. "...") or v)
  end
  return tostring(v) .. (math.type(v) and (" (" .. math.type(v) .. ")") or "")
end

local MAX_SHOWN = 300

local function shorten(text)
  if #text > MAX_SHOWN then
    return text:sub(1, MAX_SHOWN) .. "...(" .. #text .. " chars)"
  end
  return text
end

local function deep_equal(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then
    return a == b and math.type(a) == math.type(b)
  end
  for k, v in pairs(a) do
    if not deep_equal(v, b[k]) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end

local function dump(v)
  if type(v) ~= "table" then
    return show(v)
  end
  local keys = {}
  for k in pairs(v) do
    keys[#keys + 1] = k
  end
  table.sort(keys, function(x, y) return tostring(x) < tostring(y) end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = tostring(k) .. "=" .. dump(v[k])
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- eq(actual, expected, what?): equal values (tables compared deeply, integer vs float differs).
function _M.eq(actual, expected, what)
  if not deep_equal(actual, expected) then
    error(("%sexpected %s, got %s"):format(what and (what .. ": ") or "", shorten(dump(expected)), shorten(dump(actual))), 2)
  end
end

-- fails(expected_reason_fragment, fn, ...): fn(...) returns nil, reason containing the fragment.
function _M.fails(fragment, fn, ...)
  local result, reason = fn(...)
  if result ~= nil then
    error("expected a failure (" .. fragment .. "), got " .. shorten(dump(result)), 2)
  end
  if type(reason) ~= "string" or not reason:find(fragment, 1, true) then
    error(("expected reason containing %q, got %s"):format(fragment, show(reason)), 2)
  end
end

function _M.truthy(v, what)
  if not v then
    error((what or "value") .. " is " .. show(v), 2)
  end
end

return _M
