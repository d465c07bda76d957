-- Specs of shardgate.startup: the incremental parser of the client's first packet.
local it = ...
local expect = require("expect")
local packets = require("packets")
local startup = require("shardgate.startup")

local pack = string.pack
local USER = { "user", "alice", "database", "orders", "options", "-c shardgate.key=42" }

it("parses a protocol 3.0 startup message with its parameters", function()
  local p = packets.startup(USER)
  local r = startup.parse(p)
  expect.eq(r.kind, "startup")
  expect.eq(r.len, #p)
  expect.eq({ r.major, r.minor }, { 3, 0 })
  expect.eq(r.params, { user = "alice", database = "orders", options = "-c shardgate.key=42" })
end)

it("asks for more bytes at every byte boundary of a fragmented startup", function()
  local p = packets.startup(USER)
  for cut = 0, #p - 1 do
    local r = startup.parse(p:sub(1, cut))
    expect.eq(r.kind, "need", "cut at " .. cut)
    expect.truthy(r.need > cut, "need beyond what is there at " .. cut)
    expect.truthy(r.need <= #p, "need within the packet at " .. cut)
  end
  expect.eq(startup.parse(p).kind, "startup")
end)

it("asks for the full length once the length field is known", function()
  local p = packets.startup(USER)
  expect.eq(startup.parse(p:sub(1, 3)).need, 8)
  expect.eq(startup.parse(p:sub(1, 4)).need, #p)
end)

it("recognises an SSLRequest and a GSSENCRequest", function()
  expect.eq(startup.parse(packets.ssl()), { kind = "ssl", len = 8 })
  expect.eq(startup.parse(packets.gssenc()), { kind = "gssenc", len = 8 })
end)

it("parses an SSLRequest and a startup sent in one segment one after the other", function()
  local p = packets.ssl() .. packets.startup(USER)
  local first = startup.parse(p)
  expect.eq(first.kind, "ssl")
  local second = startup.parse(p:sub(first.len + 1))
  expect.eq(second.kind, "startup")
  expect.eq(second.params.user, "alice")
end)

it("refuses an SSLRequest with a length other than 8", function()
  expect.fails("ssl request with length 12", startup.parse, pack(">I4I4I4", 12, 80877103, 0))
end)

it("parses a protocol 3.0 CancelRequest", function()
  local r = startup.parse(packets.cancel(4242, "\1\2\3\4"))
  expect.eq(r, { kind = "cancel", len = 16, pid = 4242, secret = "\1\2\3\4" })
end)

it("parses a protocol 3.2 CancelRequest with a 32-byte and a 256-byte secret", function()
  local secret = string.rep("\171", 32)
  expect.eq(startup.parse(packets.cancel(7, secret)).secret, secret)
  local long = string.rep("s", 256)
  expect.eq(startup.parse(packets.cancel(7, long)).len, 268)
end)

it("refuses CancelRequests shorter than 16 or longer than 268 bytes", function()
  expect.fails("cancel request with length 12", startup.parse, packets.cancel(7, ""))
  expect.fails("cancel request with length 15", startup.parse, packets.cancel(7, "abc"))
  expect.fails("cancel request with length 269", startup.parse, packets.cancel(7, string.rep("s", 257)))
end)

it("refuses lengths below 8 and above 10000 as soon as the length field arrives", function()
  expect.fails("packet length 7", startup.parse, pack(">I4", 7))
  expect.fails("packet length 0", startup.parse, pack(">I4", 0))
  expect.fails("packet length 10001", startup.parse, pack(">I4", 10001))
  expect.fails("packet length 4294967295", startup.parse, "\255\255\255\255")
end)

-- A startup of exactly `total` bytes, padded through application_name.
local function padded_startup(total)
  local base = #packets.startup({ "application_name", "", "user", "alice" })
  return packets.startup({ "application_name", string.rep("x", total - base), "user", "alice" })
end

it("accepts a startup of exactly 10000 bytes", function()
  local p = padded_startup(10000)
  expect.eq(#p, 10000)
  expect.eq(startup.parse(p).kind, "startup")
end)

it("refuses an oversize startup of 10001 bytes", function()
  expect.fails("packet length 10001", startup.parse, padded_startup(10001))
end)

it("refuses protocol majors 2 and 4", function()
  expect.fails("unsupported protocol version 2.0", startup.parse, packets.startup(USER, 0, 2))
  expect.fails("unsupported protocol version 4.0", startup.parse, packets.startup(USER, 0, 4))
end)

it("accepts minors 0, 2 and 9999 and reports them", function()
  for _, minor in ipairs({ 0, 2, 9999 }) do
    local r = startup.parse(packets.startup({ "user", "alice", "_pq_.x", "y" }, minor))
    expect.eq(r.minor, minor)
    expect.eq(r.params["_pq_.x"], "y")
  end
end)

it("refuses a parameter list without the final terminator", function()
  local body = pack(">I4", 196608) .. "user\0alice\0"
  expect.fails("without terminator", startup.parse, pack(">I4", 4 + #body) .. body)
end)

it("refuses a parameter name without a value", function()
  local body = pack(">I4", 196608) .. "user\0alice\0database\0"
  expect.fails("without a value", startup.parse, pack(">I4", 4 + #body) .. body)
  local unterminated = pack(">I4", 196608) .. "user\0alice\0database"
  expect.fails("not terminated", startup.parse, pack(">I4", 4 + #unterminated) .. unterminated)
end)

it("refuses bytes after the terminator inside the announced length", function()
  local body = pack(">I4", 196608) .. "user\0alice\0\0junk"
  expect.fails("after the startup parameter terminator", startup.parse, pack(">I4", 4 + #body) .. body)
end)

it("refuses an empty startup body without a terminator", function()
  expect.fails("not terminated", startup.parse, pack(">I4I4", 8, 196608))
end)

it("accepts a startup with no parameters at all", function()
  local r = startup.parse(pack(">I4I4", 9, 196608) .. "\0")
  expect.eq(r.params, {})
end)

it("keeps the last value of a repeated parameter, as PostgreSQL does", function()
  local r = startup.parse(packets.startup({ "options", "-c shardgate.key=1", "options", "-c shardgate.key=2" }))
  expect.eq(r.params.options, "-c shardgate.key=2")
end)

it("refuses more than 64 parameters", function()
  local list = {}
  for i = 1, 65 do
    list[#list + 1] = "p" .. i
    list[#list + 1] = "v"
  end
  expect.fails("more than 64", startup.parse, packets.startup(list))
end)

it("ignores bytes that follow a complete packet", function()
  local p = packets.startup(USER)
  local r = startup.parse(p .. "trailing")
  expect.eq(r.len, #p)
end)

-- frame() + scanner() are the router's allocation-free path; parse() is the reference.
-- They must agree on every packet: same kind and length, same verdict and reason, and the
-- same values.
local function agree(buf, names)
  local parsed, reason = startup.parse(buf)
  local kind, len = startup.frame(buf)
  if not parsed then
    if kind == nil then
      expect.eq(len, reason, "frame reason")
      return "refused"
    end
    expect.eq(kind, "startup", "only parameters can fail after framing")
    local ok, why = startup.scanner(names[1], names[2])(buf, len)
    expect.eq({ ok, why }, { nil, reason }, "scan verdict")
    return "refused"
  end
  expect.eq(kind, parsed.kind)
  expect.eq(len, parsed.need or parsed.len)
  if kind ~= "startup" then
    return kind
  end
  expect.eq({ startup.scanner(names[1], names[2])(buf, len) },
    { true, parsed.params[names[1]], parsed.params[names[2]] })
  return kind
end

it("frames and scans every packet exactly as parse() does, mutated ones included", function()
  local names = { "options", "application_name" }
  local base = {
    packets.startup(USER),
    packets.startup({ "user", "u", "options", "-c shardgate.key=1", "options", "-c shardgate.key=2" }),
    packets.startup({ "application_name", "", "options", "", "x.y", "options" }),
    packets.startup({}), packets.ssl(), packets.gssenc(), packets.cancel(7, "\1\2\3\4"),
    packets.raw(196608, ""), packets.raw(196608, "\0\0"), packets.raw(196608, "a\0b\0"),
    packets.startup(USER, 2), packets.startup(USER, 0, 2),
  }
  math.randomseed(20261122)
  local seen, cases = {}, 0
  for _, packet in ipairs(base) do
    for cut = 0, #packet do -- every prefix: "need" at each byte boundary
      seen[agree(packet:sub(1, cut), names)] = true
      cases = cases + 1
    end
    for _ = 1, 300 do -- random byte mutations, truncations and extensions
      local bytes = { packet:byte(1, -1) }
      for _ = 1, math.random(1, 3) do
        bytes[math.random(1, #bytes)] = math.random(0, 3) == 0 and 0 or math.random(0, 255)
      end
      local mutated = string.char(table.unpack(bytes))
      if math.random(0, 4) == 0 then
        mutated = mutated .. "\0"
      end
      seen[agree(mutated, names)] = true
      cases = cases + 1
    end
  end
  expect.truthy(cases > 3000, "cases")
  for _, kind in ipairs({ "need", "startup", "refused", "ssl", "gssenc", "cancel" }) do
    expect.truthy(seen[kind], "covers " .. kind)
  end
end)

it("scans parameter names literally and exactly, punctuation included", function()
  local buf = packets.startup({ "shardgateXkey", "1", "a.b", "2", "a.bc", "3", "options", "4" })
  expect.eq({ startup.scanner("a.b", "shardgate.key")(buf, #buf) }, { true, "2", nil })
end)

it("scans a packet whose last NUL ends a name (the fast read stops) with parse()'s reason", function()
  local buf = packets.raw(196608, "user\0")
  expect.eq({ startup.scanner("user")(buf, #buf) }, { nil, "startup parameter without a value" })
  local with_tail = buf .. "x\0" -- bytes of a next packet must not be read as the value
  expect.eq({ startup.scanner("user")(with_tail, #buf) }, { nil, "startup parameter without a value" })
end)
