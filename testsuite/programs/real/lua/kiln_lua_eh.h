/* Lua's error handling (error, pcall, coroutine.yield) for wasm32-wasi without setjmp/longjmp.
 *
 * Force-included (-include) into every Lua source for wasm32-wasi. wasi-libc has no setjmp.h
 * without the exception-handling proposal, which neither Kiln nor this clang's wasi-libc offer.
 * Instead, errors unwind with binaryen's Asyncify (wasm-opt --asyncify): LUAI_THROW starts an
 * unwind, every function between the throw and the protected call returns at once, and
 * kiln_lua_try (left uninstrumented with asyncify-removelist) stops the unwind right after the
 * protected call returns, as setjmp would have returned 1. See kiln_lua_eh.c. */
#ifndef KILN_LUA_EH_H
#define KILN_LUA_EH_H

struct lua_State;
void kiln_lua_try(struct lua_State *L, void (*f)(struct lua_State *, void *), void *ud);
void kiln_lua_throw(void);

/* LUAI_TRY's only use (ldo.c, luaD_rawrunprotected) is `LUAI_TRY(L, &lj, (*f)(L, ud););`. */
#define LUAI_TRY(L, c, a) kiln_lua_try((L), f, ud)
#define LUAI_THROW(L, c) kiln_lua_throw()
#define luai_jmpbuf int

#endif
