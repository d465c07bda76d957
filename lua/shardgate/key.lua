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

local lower, upper, gsub, sub, find, gmatch, byte, match = string.lower, string.upper,
  string.gsub, string.sub, string.find, string.gmatch, string.byte, string.match
local parse_int = int64.parse
local tonumber, tostring = tonumber, tostring

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

-- "^<name>=" matching the name case-insensitively at a word's start. The two setting names
-- contain no '-' or '_', so the long form's '-' -> '_' mapping cannot change a match.
local function setting_pattern(name)
  return "^" .. gsub(name, "[%a%p]", function(c)
    if find(c, "%a") then
      return "[" .. lower(c) .. upper(c) .. "]"
    end
    return "%" .. c
  end) .. "="
end
local KEY_PATTERN = setting_pattern(_M.KEY_SETTING)
local ROLE_PATTERN = setting_pattern(_M.ROLE_SETTING)
local KEY_LOWER = _M.KEY_SETTING .. "="
-- The documented form on its own, PGOPTIONS='-c shardgate.key=<n>': one match call.
local SOLE_KEY = "^%s*%-c%s*shardgate%.key=(%-?%d+)%s*$"
local MINUS, LETTER_C, LOWER_S, UPPER_S = byte("-"), byte("c"), byte("s"), byte("S")

-- option_values(options) -> key text | nil, role text | nil: what settings() would give for
-- shardgate.key and shardgate.role (last one wins), read in place: the words are found by
-- position and only the two values are copied. This runs on every connection; options with
-- a backslash (escapes, rare) go through settings().
function _M.option_values(options)
  local sole = match(options, SOLE_KEY)
  if sole then
    return sole, nil
  end
  if find(options, "\\", 1, true) then
    local all = _M.settings(options)
    return all[_M.KEY_SETTING], all[_M.ROLE_SETTING]
  end
  local key, role, pos, words, after_c = nil, nil, 1, 0, false
  while words < _M.MAX_WORDS do
    local first, last = find(options, "%S+", pos)
    if not first then
      break
    end
    words = words + 1
    local at -- where a name=value assignment starts in this word
    if after_c then
      at, after_c = first, false
    elseif byte(options, first) == MINUS then
      local second = byte(options, first + 1)
      if second == LETTER_C then
        if last == first + 1 then
          after_c = true -- "-c": the next word is the assignment
        else
          at = first + 2 -- "-cname=value"
        end
      elseif second == MINUS then
        at = first + 2 -- "--name=value"
      end
    end
    -- Both names start with "shardgate.": other settings are passed over on one byte.
    local initial = at and at <= last and byte(options, at)
    if initial == LOWER_S or initial == UPPER_S then
      if find(options, KEY_LOWER, at, true) == at then -- the usual spelling: a plain find
        key = sub(options, at + #KEY_LOWER, last)
      else
        local _, eq = find(options, KEY_PATTERN, at)
        if eq then
          key = sub(options, eq + 1, last)
        else
          _, eq = find(options, ROLE_PATTERN, at)
          if eq then
            role = sub(options, eq + 1, last)
          end
        end
      end
    end
    pos = last + 1
  end
  return key, role
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

-- extractor:extract_values(carrier, options) -> key, key text, role | nil, code, detail, text
-- carrier: the value of the configured key parameter; options: the value of `options`
-- (either may be nil). No table: this runs on every connection. The key text is the key's
-- canonical decimal form (for logs and variables). code is one of the router's error
-- codes: no_key, bad_key (text: the offending value), bad_role (text: the role given).
function _M:extract_values(carrier, options)
  local text, role
  if options then
    text, role = _M.option_values(options)
  end
  if self.pattern then
    text = carrier and match(carrier, self.pattern)
  elseif self.param ~= _M.DEFAULT_PARAM then
    text = carrier
  end
  if text == nil or text == "" then
    return nil, "no_key", "no shard key in startup parameter " .. self.param
  end
  local key
  if #text <= 18 and find(text, "^%-?[1-9]%d*$") then
    key = tonumber(text) -- canonical and within int64: the usual case, text kept as is
  else
    local why
    key, why = parse_int(text)
    if not key then
      return nil, "bad_key", why, text
    end
    text = tostring(key) -- "+5", "007", "-0", 19 digits: the canonical form
  end
  if role ~= nil then
    role = lower(role)
    if role ~= "rw" and role ~= "ro" then
      return nil, "bad_role", "role must be rw or ro", role
    end
  end
  return key, text, role
end

-- extractor:extract(params) -> { key = integer, key_text, role = "rw"|"ro"|nil }
--                             | nil, code, detail, offending text (bad_key, bad_role)
-- The same decision as extract_values, from a { name = value } table.
function _M:extract(params)
  local key, text, role, offending = self:extract_values(params[self.param],
    params[_M.DEFAULT_PARAM])
  if not key then
    return nil, text, role, offending
  end
  return { key = key, key_text = text, role = role }
end

return _M
