/* wasm32-wasi (this wasi-libc, without the exception-handling proposal) has no setjmp.h, and
 * the host's would be found instead. Lua includes it unconditionally; nothing here is used:
 * kiln_lua_eh.h replaces LUAI_TRY/LUAI_THROW. */
#ifndef KILN_LUA_SETJMP_H
#define KILN_LUA_SETJMP_H
#endif
