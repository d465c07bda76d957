-- Runs every tests/lua/*_spec.lua under the current interpreter, without external modules.
-- Usage (from the repository root or anywhere): lua5.3 tests/lua/run.lua [name filter]
-- Prints each failing spec with its reason and ends with one line
-- "lua<version>: N passed, N failed"; exits 1 when anything failed.

local here = (arg[0]:match("^(.*)/[^/]*$") or ".")
local root = here .. "/../.."
package.path = root .. "/lua/?.lua;" .. here .. "/?.lua;" .. package.path

local filter = arg[1]
local version = _VERSION:gsub("^Lua ", "lua")

local function spec_files()
  local files = {}
  local ls = assert(io.popen('ls "' .. here .. '"'))
  for name in ls:lines() do
    if name:match("_spec%.lua$") then
      files[#files + 1] = name
    end
  end
  ls:close()
  table.sort(files)
  return files
end

local passed, failed = 0, 0

local function run_case(file, name, fn)
  if filter and not (file .. " " .. name):find(filter, 1, true) then
    return
  end
  local ok, err = xpcall(fn, debug.traceback)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    print(("FAIL %s: %s\n  %s"):format(file, name, tostring(err):gsub("\n", "\n  ")))
  end
end

for _, file in ipairs(spec_files()) do
  local cases = {}
  local function it(name, fn)
    cases[#cases + 1] = { name, fn }
  end
  local chunk, err = loadfile(here .. "/" .. file)
  local ok = chunk ~= nil
  if ok then
    ok, err = pcall(chunk, it)
  end
  if not ok then
    failed = failed + 1
    print(("FAIL %s: could not load: %s"):format(file, tostring(err)))
  end
  for _, case in ipairs(cases) do
    run_case(file, case[1], case[2])
  end
end

print(("%s: %d passed, %d failed"):format(version, passed, failed))
os.exit(failed == 0 and 0 or 1)
