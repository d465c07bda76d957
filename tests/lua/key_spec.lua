-- Specs of shardgate.key: shard key and role extraction from startup parameters.
local it = ...
local expect = require("expect")
local key = require("shardgate.key")

local default = assert(key.new())

local function extract(extractor, params)
  local r, code, detail, text = extractor:extract(params)
  if r then
    return r
  end
  return { code = code, detail = detail, text = text }
end

it("reads -c shardgate.key=<n> from options", function()
  local r = extract(default, { options = "-c shardgate.key=42" })
  expect.eq(r.key, 42)
  expect.eq(r.key_text, "42")
  expect.eq(r.role, nil)
end)

it("reads --shardgate.key=<n> and -cshardgate.key=<n> from options", function()
  expect.eq(extract(default, { options = "--shardgate.key=7" }).key, 7)
  expect.eq(extract(default, { options = "-cshardgate.key=8" }).key, 8)
end)

it("finds the key among other -c options and tolerates extra whitespace", function()
  local r = extract(default, { options = "  -c statement_timeout=5s \t-c shardgate.key=-12  -c search_path=app " })
  expect.eq(r.key, -12)
end)

it("treats the key setting name case-insensitively, as PostgreSQL does", function()
  expect.eq(extract(default, { options = "-c ShardGate.Key=3" }).key, 3)
end)

it("takes the last key when the option is repeated", function()
  expect.eq(extract(default, { options = "-c shardgate.key=1 -c shardgate.key=2" }).key, 2)
end)

it("splits options with backslash escapes the way PostgreSQL does", function()
  expect.eq(key.split_words([[-c search_path=a\ b -c x=1\\]]), { "-c", "search_path=a b", "-c", "x=1\\" })
  expect.eq(extract(default, { options = [[-c application_name=my\ app -c shardgate.key=5]] }).key, 5)
end)

it("accepts both 64-bit bounds", function()
  expect.eq(extract(default, { options = "-c shardgate.key=-9223372036854775808" }).key, math.mininteger)
  expect.eq(extract(default, { options = "-c shardgate.key=9223372036854775807" }).key, math.maxinteger)
end)

it("reports bad_key for overflow and junk, with the offending text", function()
  local r = extract(default, { options = "-c shardgate.key=9223372036854775808" })
  expect.eq({ r.code, r.text }, { "bad_key", "9223372036854775808" })
  expect.eq(extract(default, { options = "-c shardgate.key=42abc" }).code, "bad_key")
  expect.eq(extract(default, { options = "-c shardgate.key=0x2a" }).code, "bad_key")
end)

it("reports no_key when options is missing, empty, or lacks the key", function()
  expect.eq(extract(default, {}).code, "no_key")
  expect.eq(extract(default, { options = "" }).code, "no_key")
  expect.eq(extract(default, { options = "-c statement_timeout=5s" }).code, "no_key")
  expect.eq(extract(default, { options = "-c shardgate.key=" }).code, "no_key")
  expect.eq(extract(default, { options = "-c" }).code, "no_key")
end)

it("does not take a key from a different setting that merely contains the name", function()
  expect.eq(extract(default, { options = "-c xshardgate.key=5" }).code, "no_key")
  expect.eq(extract(default, { options = "-c application_name=shardgate.key=5" }).code, "no_key")
end)

it("reads the role override and reports bad_role for other values", function()
  expect.eq(extract(default, { options = "-c shardgate.key=1 -c shardgate.role=ro" }).role, "ro")
  expect.eq(extract(default, { options = "-c shardgate.key=1 --shardgate.role=RW" }).role, "rw")
  local r = extract(default, { options = "-c shardgate.key=1 -c shardgate.role=primary" })
  expect.eq({ r.code, r.text }, { "bad_role", "primary" })
end)

it("uses a custom parameter and pattern such as application_name", function()
  local e = assert(key.new({ param = "application_name", pattern = "^tenant%-(%-?%d+)$" }))
  expect.eq(extract(e, { application_name = "tenant-77" }).key, 77)
  expect.eq(extract(e, { application_name = "tenant--77" }).key, -77)
  expect.eq(extract(e, { application_name = "web" }).code, "no_key")
  expect.eq(extract(e, { options = "-c shardgate.key=1" }).code, "no_key")
end)

it("uses the whole value of a custom parameter when no pattern is given", function()
  local e = assert(key.new({ param = "shardgate.key" }))
  expect.eq(extract(e, { ["shardgate.key"] = "-5" }).key, -5)
  expect.eq(extract(e, { ["shardgate.key"] = "five" }).code, "bad_key")
end)

it("still reads the role from options with a custom key carrier", function()
  local e = assert(key.new({ param = "application_name", pattern = "(%d+)" }))
  local r = extract(e, { application_name = "a9", options = "-c shardgate.role=ro" })
  expect.eq({ r.key, r.role }, { 9, "ro" })
end)

it("refuses an invalid Lua pattern at configuration time", function()
  expect.fails("unclosed '('", key.new, { pattern = "(%d+" })
  expect.fails("unmatched ')'", key.new, { pattern = "%d+)" })
  expect.fails("ends with '%'", key.new, { pattern = "(%d+)%" })
  expect.fails("unclosed '['", key.new, { pattern = "([%d+)" })
end)

it("refuses a pattern without exactly one capture", function()
  expect.fails("needs exactly one capture", key.new, { pattern = "%d+" })
  expect.fails("needs exactly one capture", key.new, { pattern = "(%a+)=(%d+)" })
end)

it("counts escaped and bracketed parentheses as literals in a pattern", function()
  local e = assert(key.new({ param = "application_name", pattern = "^%(([%d%-]+)[)]$" }))
  expect.eq(extract(e, { application_name = "(-3)" }).key, -3)
  assert(key.new({ param = "application_name", pattern = "[]]([%d]+)" }))
end)

it("treats empty configuration values as defaults", function()
  local e = assert(key.new({ param = "", pattern = "" }))
  expect.eq(extract(e, { options = "-c shardgate.key=4" }).key, 4)
end)

it("splits words the same way with and without backslashes (fast path)", function()
  expect.eq(key.split_words(" -c\tshardgate.key=1 \n\r\v\f--x=y  "), { "-c", "shardgate.key=1", "--x=y" })
  expect.eq(key.split_words("-c a=b\\ c -c shardgate.key=2"), { "-c", "a=b c", "-c", "shardgate.key=2" })
  local many = string.rep("w ", 300)
  expect.eq(#key.split_words(many), key.MAX_WORDS)
  expect.eq(#key.split_words(many .. "\\x"), key.MAX_WORDS)
end)

it("reads the key and the role from one pass over options", function()
  local ex = assert(key.new({}))
  local found = assert(ex:extract({ options = "-c shardgate.key=5 -c SHARDGATE.ROLE=RO" }))
  expect.eq({ found.key, found.role }, { 5, "ro" })
  local custom = assert(key.new({ param = "application_name", pattern = "^t(%d+)$" }))
  found = assert(custom:extract({ application_name = "t9", options = "--shardgate.role=rw" }))
  expect.eq({ found.key, found.role }, { 9, "rw" })
  found = assert(custom:extract({ application_name = "t9" }))
  expect.eq({ found.key, found.role }, { 9, nil })
end)

it("reads options in place exactly as settings() does (randomised words)", function()
  local words = { "-c", "shardgate.key=1", "-cshardgate.key=2", "--shardgate.key=3", "ShardGate.KEY=4",
    "shardgate.role=ro", "--SHARDGATE.ROLE=rw", "-cshardgate.role=x", "x=y", "-", "--", "-c", "shardgate.key=",
    "=5", "-cx", "shardgate.keys=6", "sshardgate.key=7", "--shardgate-key=8", "shardgate.key=9=9",
    "-c\tshardgate.key=10", "S", "s" }
  local gaps = { " ", "  ", "\t", "\n " }
  math.randomseed(7)
  for _ = 1, 3000 do
    local parts = {}
    for i = 1, math.random(0, 7) do
      parts[#parts + 1] = (i > 1 or math.random(0, 1) == 0) and gaps[math.random(#gaps)] or ""
      parts[#parts + 1] = words[math.random(#words)]
    end
    local options = table.concat(parts)
    local all = key.settings(options)
    expect.eq({ key.option_values(options) }, { all[key.KEY_SETTING], all[key.ROLE_SETTING] }, options)
  end
  local many = string.rep("w ", 300) .. "-c shardgate.key=1"
  expect.eq({ key.option_values(many) }, { nil, nil }, "past MAX_WORDS, like split_words")
end)

it("gives the key text in canonical form for logs and variables", function()
  local ex = assert(key.new({}))
  for text, want in pairs({ ["42"] = "42", ["+5"] = "5", ["007"] = "7", ["-0"] = "0", ["0"] = "0",
      ["-9223372036854775808"] = "-9223372036854775808", ["000000000000000000001"] = "1" }) do
    local k, canonical = ex:extract_values(nil, "-c shardgate.key=" .. text)
    expect.eq({ k, canonical }, { math.tointeger(tonumber(want)), want }, text)
  end
end)
