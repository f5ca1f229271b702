/* wasm32-wasi has no setjmp/longjmp (without the exception-handling proposal). Lua's ldo.c
 * includes <setjmp.h> unconditionally; scripts/bench builds Lua with LUAI_THROW/LUAI_TRY
 * overridden so nothing here is used. Only on the wasm include path. */
#ifndef KILN_BENCH_SETJMP_SHIM
#define KILN_BENCH_SETJMP_SHIM
typedef int jmp_buf[1];
#endif
