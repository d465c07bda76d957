-- Extracts the shard key and the optional role override from startup parameters.
--
-- Default carrier: the `options` parameter, read the way PostgreSQL reads it (words split
-- on whitespace, backslash escapes the next character; `-c name=value`, `-cname=value` and
-- `--name=value` set a setting; names are case-insensitive; in `--name` a '-' means '_').
-- So PGOPTIONS='-c shardgate.key=42' works next to any other -c option.
-- Custom carrier: any parameter (e.g. application_name) and a Lua pattern with one capture
-- applied to its value; without a pattern the whole value is the key.
-- The role override `shardgate.role=rw|ro` is always read from `options`.

local int64 = require("shardgate.int64")

local _M = {}

local lower, gsub, sub, find, gmatch = string.lower, string.gsub, string.sub, string.find,
  string.gmatch

_M.DEFAULT_PARAM = "options"
_M.KEY_SETTING = "shardgate.key"
_M.ROLE_SETTING = "shardgate.role"
_M.MAX_WORDS = 256

-- split_words(options) -> array of words (PostgreSQL's pg_split_opts rules).
-- Without a backslash a word is a run of non-space characters (fast path, one gmatch);
-- with one, a character loop applies the escapes.
function _M.split_words(options)
  if not find(options, "\\", 1, true) then
    local words, n = {}, 0
    for w in gmatch(options, "%S+") do
      n = n + 1
      words[n] = w
      if n >= _M.MAX_WORDS then
        break
      end
    end
    return words
  end
  local words, word, escaped = {}, {}, false
  for i = 1, #options do
    local c = sub(options, i, i)
    if escaped then
      word[#word + 1] = c
      escaped = false
    elseif c == "\\" then
      escaped = true
    elseif find(c, "^%s$") then
      if #word > 0 then
        words[#words + 1] = table.concat(word)
        word = {}
      end
    else
      word[#word + 1] = c
    end
    if #words >= _M.MAX_WORDS then
      return words
    end
  end
  if #word > 0 then
    words[#words + 1] = table.concat(word)
  end
  return words
end

local function assignment(text, long_form)
  local name, value = text:match("^([^=]+)=(.*)$")
  if not name then
    return nil
  end
  name = lower(name)
  if long_form then
    name = gsub(name, "-", "_")
  end
  return name, value
end

-- settings(options) -> { lower-case name = value } for every -c / -- setting; last wins.
function _M.settings(options)
  local words, result, i = _M.split_words(options or ""), {}, 1
  while i <= #words do
    local w = words[i]
    local name, value
    if w == "-c" and words[i + 1] then
      i = i + 1
      name, value = assignment(words[i], false)
    elseif sub(w, 1, 2) == "-c" then
      name, value = assignment(sub(w, 3), false)
    elseif sub(w, 1, 2) == "--" then
      name, value = assignment(sub(w, 3), true)
    end
    if name then
      result[name] = value
    end
    i = i + 1
  end
  return result
end

-- Counts the captures of a Lua pattern; nil, reason when it is malformed. Lua checks a
-- pattern only while matching, so a broken one would otherwise fail per connection.
local function count_captures(pattern)
  local i, n, open, count = 1, #pattern, 0, 0
  while i <= n do
    local c = sub(pattern, i, i)
    if c == "%" then
      if i == n then
        return nil, "pattern ends with '%'"
      end
      i = i + 1
    elseif c == "[" then
      local close = find(pattern, "]", i + (sub(pattern, i + 1, i + 1) == "^" and 3 or 2), true)
      while close and sub(pattern, close - 1, close - 1) == "%" do
        close = find(pattern, "]", close + 1, true)
      end
      if not close then
        return nil, "unclosed '['"
      end
      i = close
    elseif c == "(" then
      open, count = open + 1, count + 1
    elseif c == ")" then
      open = open - 1
      if open < 0 then
        return nil, "unmatched ')'"
      end
    end
    i = i + 1
  end
  if open ~= 0 then
    return nil, "unclosed '('"
  end
  return count
end

-- new({ param = string?, pattern = string? }) -> extractor | nil, reason
function _M.new(config)
  config = config or {}
  local param = config.param
  if param == nil or param == "" then
    param = _M.DEFAULT_PARAM
  end
  local pattern = config.pattern
  if pattern == "" then
    pattern = nil
  end
  if pattern then
    local captures, err = count_captures(pattern)
    if captures ~= 1 then
      return nil, "invalid key pattern " .. pattern .. ": " .. (err or "needs exactly one capture")
    end
  end
  return setmetatable({ param = param, pattern = pattern }, { __index = _M })
end

local NO_SETTINGS = {}

-- options_settings: settings of the `options` parameter, computed once per startup.
local function key_text(self, params, options_settings)
  local value = params[self.param]
  if value == nil then
    return nil
  end
  if self.pattern then
    return (value:match(self.pattern))
  end
  if self.param == _M.DEFAULT_PARAM then
    return options_settings[_M.KEY_SETTING]
  end
  return value
end

-- extractor:extract(params) -> { key = integer, key_text, role = "rw"|"ro"|nil }
--                             | nil, code, detail, offending text (bad_key, bad_role)
-- code is one of the router's error codes: no_key, bad_key, bad_role.
function _M:extract(params)
  local options = params[_M.DEFAULT_PARAM]
  local options_settings = options and _M.settings(options) or NO_SETTINGS
  local text = key_text(self, params, options_settings)
  if text == nil or text == "" then
    return nil, "no_key", "no shard key in startup parameter " .. self.param
  end
  local key, why = int64.parse(text)
  if not key then
    return nil, "bad_key", why, text
  end
  local role = options_settings[_M.ROLE_SETTING]
  if role ~= nil then
    role = lower(role)
    if role ~= "rw" and role ~= "ro" then
      return nil, "bad_role", "role must be rw or ro", role
    end
  end
  return { key = key, key_text = text, role = role }
end

return _M
