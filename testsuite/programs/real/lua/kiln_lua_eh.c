/* Asyncify-based non-local exit for Lua on wasm32-wasi; see kiln_lua_eh.h. */
#include <stdint.h>
#include "kiln_lua_eh.h"

/* Asyncify's intrinsics: wasm-opt --asyncify turns these imports into its own functions. */
__attribute__((import_module("asyncify"), import_name("start_unwind")))
void asyncify_start_unwind(void *data);
__attribute__((import_module("asyncify"), import_name("stop_unwind")))
void asyncify_stop_unwind(void);

/* The unwound frames' locals are saved here, and thrown away. */
static struct { char *cur, *end; } unwind_data;
static char unwind_buf[1 << 20];
static volatile int unwinding;

__asm__(".globaltype __stack_pointer, i32");

static inline uintptr_t get_sp(void) {
    uintptr_t sp;
    __asm__ volatile("global.get __stack_pointer\n\tlocal.set %0" : "=r"(sp));
    return sp;
}
static inline void set_sp(uintptr_t sp) {
    __asm__ volatile("local.get %0\n\tglobal.set __stack_pointer" : : "r"(sp));
}

/* Not instrumented (asyncify-removelist): while an unwind is under way, the call to `f`
 * returns here as a plain return, and the unwind stops. The unwound functions never ran
 * their epilogues, so the C shadow stack pointer is put back too. */
__attribute__((noinline)) void kiln_lua_try(struct lua_State *L,
                                            void (*f)(struct lua_State *, void *), void *ud) {
    uintptr_t sp = get_sp();
    f(L, ud);
    if (unwinding) {
        asyncify_stop_unwind();
        unwinding = 0;
        set_sp(sp);
    }
}

__attribute__((noinline)) void kiln_lua_throw(void) {
    unwind_data.cur = unwind_buf;
    unwind_data.end = unwind_buf + sizeof unwind_buf;
    unwinding = 1;
    asyncify_start_unwind(&unwind_data);
}
