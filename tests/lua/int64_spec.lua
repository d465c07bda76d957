-- Specs of shardgate.int64: strict signed 64-bit decimal parsing.
local it = ...
local expect = require("expect")
local int64 = require("shardgate.int64")

it("parses small positive and negative integers", function()
  expect.eq(int64.parse("42"), 42)
  expect.eq(int64.parse("-42"), -42)
  expect.eq(int64.parse("0"), 0)
  expect.eq(int64.parse("-0"), 0)
end)

it("accepts a leading plus sign as PostgreSQL's int8 input does", function()
  expect.eq(int64.parse("+5"), 5)
end)

it("accepts leading zeros, even beyond nineteen digits", function()
  expect.eq(int64.parse("007"), 7)
  expect.eq(int64.parse("-0000000000000000000000000009223372036854775808"), math.mininteger)
end)

it("accepts both 64-bit bounds exactly", function()
  expect.eq(int64.parse("9223372036854775807"), math.maxinteger)
  expect.eq(int64.parse("-9223372036854775808"), math.mininteger)
  expect.eq(int64.parse("-9223372036854775807"), math.mininteger + 1)
end)

it("refuses values one past either bound", function()
  expect.fails("range", int64.parse, "9223372036854775808")
  expect.fails("range", int64.parse, "-9223372036854775809")
end)

it("refuses values far out of range", function()
  expect.fails("range", int64.parse, "99999999999999999999")
  expect.fails("range", int64.parse, "-18446744073709551616")
  expect.fails("range", int64.parse, "18446744073709551615")
end)

it("parses eighteen and nineteen digit values exactly", function()
  expect.eq(int64.parse("999999999999999999"), 999999999999999999)
  expect.eq(int64.parse("1000000000000000001"), 1000000000000000001)
  expect.eq(int64.parse("-9000000000000000001"), -9000000000000000001)
end)

it("refuses junk, spaces, fractions, exponents, hex and empty text", function()
  for _, text in ipairs({ "42abc", "abc", " 42", "42 ", "4.2", "1e3", "0x10", "", "-", "+", "--1", "+-1" }) do
    expect.fails("", int64.parse, text)
  end
end)

it("refuses non-string input and overlong text", function()
  expect.fails("not a string", int64.parse, 42)
  expect.fails("too long", int64.parse, string.rep("1", 65))
end)

it("returns integers, never floats", function()
  expect.eq(math.type(int64.parse("123456789012345678")), "integer")
  expect.eq(math.type(int64.parse("-9223372036854775808")), "integer")
end)
