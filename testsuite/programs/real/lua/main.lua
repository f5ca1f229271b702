-- Lua 5.4 on WASI: strings, patterns, tables, closures, metatables, coroutines, errors and
-- file I/O in the preopened directory (/work). Deterministic: no os.time, no os.clock.
local dir = arg[1] or "/work"
print(_VERSION, "script " .. arg[0], "dir " .. dir)

-- Strings and patterns -------------------------------------------------------------------
local text = io.open(dir .. "/words.txt"):read("a")
local counts, order = {}, {}
for w in text:lower():gmatch("%a+") do
  if not counts[w] then counts[w] = 0; order[#order + 1] = w end
  counts[w] = counts[w] + 1
end
table.sort(order, function(a, b)
  if counts[a] ~= counts[b] then return counts[a] > counts[b] end
  return a < b
end)
local top = {}
for i = 1, 8 do top[i] = string.format("%s=%d", order[i], counts[order[i]]) end
print("distinct words: " .. #order, "top: " .. table.concat(top, " "))

local swapped = ("key1=value1, key2=value2"):gsub("(%w+)=(%w+)", "%2=%1")
print(swapped)
print(("hello world from lua"):gsub("%f[%a]%a", string.upper))
print(string.format("%5.1f|%-6s|%06d|%x|%q", math.pi, "ab", 42, 3054, "tab\there"))
print(("  trim me  "):match("^%s*(.-)%s*$") .. "|", ("a,b,,c"):find(",,", 1, true))
print(utf8.char(72, 228, 8364, 128512), utf8.len("häll€"), #"häll€")
local bytes = {}
for _, c in utf8.codes("añ€") do bytes[#bytes + 1] = string.format("U+%04X", c) end
print(table.concat(bytes, " "))
print(string.rep("ab", 3, "-"), ("x"):byte(), string.char(76, 117, 97))
print(string.pack and #string.pack("i4i8d", 1, 2, 3.5), string.unpack("<i2", "\x01\x02"))

-- Tables, closures, metatables -----------------------------------------------------------
local function counter(step)
  local n = 0
  return function() n = n + step; return n end
end
local c2, c5 = counter(2), counter(5)
c2(); c5()
print("closures", c2(), c5(), c2())

local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec.__add(a, b) return Vec.new(a.x + b.x, a.y + b.y) end
function Vec.__eq(a, b) return a.x == b.x and a.y == b.y end
function Vec.__tostring(v) return string.format("(%g, %g)", v.x, v.y) end
function Vec:len() return math.sqrt(self.x ^ 2 + self.y ^ 2) end
local v = Vec.new(3, 4) + Vec.new(0.5, -1)
print("vector", tostring(v), v:len(), v == Vec.new(3.5, 3))

local squares = {}
for i = 1, 10 do squares[i] = i * i end
print("table", #squares, table.concat(squares, ",", 3, 6), table.unpack(squares, 9))
table.insert(squares, 1, 0); table.remove(squares)
print(table.concat(squares, " "))
local memo = setmetatable({}, {__mode = "k", __index = function(t, k)
  local r = k < 2 and k or t[k - 1] + t[k - 2]; rawset(t, k, r); return r end})
print("fib(80) = " .. memo[80], math.type(memo[80]), 7 // 2, 7 % -3, 2^53 + 1, 1e15)
print(math.maxinteger, math.mininteger, math.maxinteger + 1 == math.mininteger, 0x10p2)

-- Coroutines ----------------------------------------------------------------------------
local function gen(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i, i * i) end
    return "done"
  end)
end
local g = gen(3)
print("coroutine", g(), g(), g(), g())
local producer = coroutine.create(function(a, b)
  local got = coroutine.yield(a + b)
  local again = coroutine.yield(got * 2)
  error("producer failed with " .. again)
end)
print(coroutine.resume(producer, 1, 2))
print(coroutine.resume(producer, 10))
print(coroutine.resume(producer, "x"))
print(coroutine.status(producer), coroutine.resume(producer))
print(coroutine.isyieldable(), coroutine.running())

-- Errors --------------------------------------------------------------------------------
print(pcall(error, "plain"))
print(pcall(error, {code = 7}))
print(select(2, pcall(function() return nil + 1 end)))
print(xpcall(function() local t = setmetatable({}, {__index = function() error("deep", 2) end}); return t.x end,
  function(m) return "handler: " .. m end))
local ok, err = pcall(string.rep)
print(ok, err)
local function recurse(n) return n == 0 and 0 or 1 + recurse(n - 1) end
print("recursion", recurse(10000))
print(pcall(function() local function f() return f() + 1 end return f() end))
print(pcall(load, "return +"))
print(load("return 6 * 7")(), load("syntax error here"))
local caught = 0
for i = 1, 2000 do
  if not pcall(function() if i % 2 == 0 then error(i) end end) then caught = caught + 1 end
end
print("caught", caught)
print(select("#", pcall(error)))
print(tostring(nil), tonumber("0x1F"), tonumber("z", 36), tonumber("1e2"), tonumber("nope"))

-- Files ---------------------------------------------------------------------------------
local out = assert(io.open(dir .. "/squares.csv", "w"))
out:write("n,square,cube\n")
for i = 1, 200 do out:write(i, ",", i * i, ",", string.format("%d", i ^ 3), "\n") end
out:close()
local sum, lines = 0, 0
for line in io.lines(dir .. "/squares.csv") do
  local n, sq = line:match("^(%d+),(%d+),")
  if n then sum = sum + tonumber(sq); lines = lines + 1 end
end
print("squares.csv", lines, sum)
local f = assert(io.open(dir .. "/squares.csv", "r"))
print(f:read("l"), f:read("n"), f:seek("cur"), f:seek("end"))
f:seek("set", 14)
print(f:read(10))
f:close()
local a = assert(io.open(dir .. "/log.txt", "a")); a:write("first\n"); a:close()
a = assert(io.open(dir .. "/log.txt", "a+")); a:write("second\n"); a:seek("set"); print(a:read("a")); a:close()
print(io.open(dir .. "/missing/file.txt"))
print(pcall(io.open, dir .. "/words.txt", "rz"))
print(pcall(io.lines, dir .. "/nope.txt"))
print(os.rename(dir .. "/log.txt", dir .. "/log2.txt"), os.remove(dir .. "/log2.txt"), os.remove(dir .. "/log2.txt"))
print(io.type(f), io.type(io.stdout), io.type(42))
io.stderr:write("a line on stderr\n")
io.write("io.write ", 1, " ", 2.5, "\n")
print(os.getenv("LUA_TEST"), os.getenv("HOME"))
os.exit(3)
