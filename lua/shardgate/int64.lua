-- Strict decimal parsing of signed 64-bit integers, identical in Lua 5.3 and 5.4.
--
-- Accepts an optional sign ("-" or "+", as PostgreSQL's int8 input does) followed by
-- decimal digits, nothing else: no spaces, no hex, no exponent, no fraction.
-- Rejects values outside [-9223372036854775808, 9223372036854775807]. tonumber() alone
-- cannot do this: it returns a float for out-of-range input, and math.tointeger of that
-- float may silently land on an in-range integer (e.g. "-9223372036854775809").

local _M = {}

local tonumber = tonumber
local sub, byte, find = string.sub, string.byte, string.find

-- Inputs longer than this are refused without arithmetic (19 digits + sign + zero padding).
_M.MAX_TEXT = 64

-- Up to 18 significant digits always fit in an int64, so tonumber gives an exact integer.
local SAFE_DIGITS = 18

-- trunc(math.mininteger / 10) and the last digit allowed at that magnitude.
local NEG_LIMIT = -922337203685477580
local NEG_LAST_DIGIT = 8

local function accumulate_negative(digits)
  local n = 0
  for i = 1, #digits do
    local d = byte(digits, i) - 48
    if n < NEG_LIMIT or (n == NEG_LIMIT and d > NEG_LAST_DIGIT) then
      return nil
    end
    n = n * 10 - d
  end
  return n
end

-- parse(text) -> integer | nil, reason
function _M.parse(text)
  if type(text) ~= "string" then
    return nil, "not a string"
  end
  if #text == 0 then
    return nil, "empty"
  end
  if #text > _M.MAX_TEXT then
    return nil, "too long"
  end
  -- Fast path (every routed connection): up to 18 characters of an optional '-' and digits
  -- always fit, and tonumber reads them as an exact integer without the captures below.
  if #text <= SAFE_DIGITS and find(text, "^%-?%d+$") then
    return tonumber(text)
  end
  local sign, digits = text:match("^([+-]?)(%d+)$")
  if not digits then
    return nil, "not a decimal integer"
  end
  local first = find(digits, "[1-9]")
  if not first then
    return 0
  end
  digits = sub(digits, first)
  if #digits <= SAFE_DIGITS then
    local n = tonumber(digits)
    if sign == "-" then
      return -n
    end
    return n
  end
  -- Accumulate as a negative number: its range is one larger than the positive one.
  local n = accumulate_negative(digits)
  if not n then
    return nil, "out of signed 64-bit range"
  end
  if sign == "-" then
    return n
  end
  if n == math.mininteger then
    return nil, "out of signed 64-bit range"
  end
  return -n
end

return _M
