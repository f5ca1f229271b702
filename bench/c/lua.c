/* The Lua 5.4 interpreter (from the lua-src crate) running an embedded CPU-bound script:
 * no file I/O, no coroutines and no errors (those need longjmp, which wasm32-wasi lacks).
 * Only the base, coroutine, table, string, math and utf8 libraries are opened. */
#include <stdio.h>
#include <stdlib.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static const char *script =
"local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end\n"
"local t0 = fib(29)\n"
"-- table-heavy: sieve and a hash table of strings\n"
"local N = 1000000\n"
"local sieve, primes = {}, 0\n"
"for i = 2, N do sieve[i] = true end\n"
"for i = 2, N do if sieve[i] then primes = primes + 1; for j = i*i, N, i do sieve[j] = false end end end\n"
"local words, h = {}, 0\n"
"for i = 1, 200000 do local k = 'k' .. (i * 7919 % 50021); words[k] = (words[k] or 0) + i end\n"
"local keys = {}\n"
"for k in pairs(words) do keys[#keys+1] = k end\n"
"table.sort(keys)\n"
"for i, k in ipairs(keys) do h = (h * 31 + words[k] + #k) % 4294967296 end\n"
"-- string building and pattern matching\n"
"local parts = {}\n"
"for i = 1, 100000 do parts[#parts+1] = string.format('%d:%x', i, i * 2654435761 % 4294967296) end\n"
"local s = table.concat(parts, ',')\n"
"local cnt = 0\n"
"for a, b in s:gmatch('(%d+):(%x+)') do if #b == 8 then cnt = cnt + 1 end end\n"
"-- objects with metatables and closures\n"
"local V = {}; V.__index = V\n"
"function V.new(x, y) return setmetatable({x = x, y = y}, V) end\n"
"function V.__add(a, b) return V.new(a.x + b.x, a.y + b.y) end\n"
"function V:len2() return self.x * self.x + self.y * self.y end\n"
"local acc = V.new(0, 0)\n"
"for i = 1, 300000 do acc = acc + V.new(i % 13, i % 7) end\n"
"local cs = 0\n"
"local function mk(k) return function(x) return x * k + 1 end end\n"
"for i = 1, 300000 do cs = (cs + mk(i % 11)(i)) % 1000000007 end\n"
"result = string.format('fib=%d primes=%d h=%d cnt=%d len=%d acc=%d co=%d', t0, primes, h, cnt, #s, acc:len2(), cs)\n";

int main(void) {
  lua_State *L = luaL_newstate();
  luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
  luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
  luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
  luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
  luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
  luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
  lua_settop(L, 0);
  if (luaL_dostring(L, script) != LUA_OK) {
    printf("lua error: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_getglobal(L, "result");
  printf("%s\n", lua_tostring(L, -1));
  lua_close(L);
  return 0;
}
