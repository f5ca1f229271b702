/* Kiln runtime: the only place that calls sigsetjmp/siglongjmp.
 *
 * kiln_catch() calls `f(vmctx, values)` (an array-call trampoline) with a jump buffer
 * installed for this thread; kiln_unwind() jumps back to the innermost kiln_catch(), which
 * then returns 1. The jump buffer lives in this C frame, so no Rust frame with destructors
 * is ever skipped except the plain host frames documented at each kiln_unwind() caller. */
#ifdef KILN_NO_LIBC_HEADERS
/* A musl target built with a compiler that has no musl headers for it (clang
 * --target=aarch64-linux-musl on a machine without an AArch64 musl sysroot, see build.rs):
 * musl's sigsetjmp and siglongjmp are plain functions, declared here. Their buffer is
 * 312 bytes on aarch64 (22 registers, a flag and a 128-byte signal set) and 200 on
 * x86-64; this one is generously larger and 16-byte aligned. */
typedef struct {
    _Alignas(16) unsigned char bytes[512];
} sigjmp_buf[1];
int sigsetjmp(sigjmp_buf env, int savemask) __attribute__((returns_twice));
_Noreturn void siglongjmp(sigjmp_buf env, int val);
#define NULL ((void *)0)
#else
#include <setjmp.h>
#include <stddef.h>
#endif

typedef void (*kiln_array_call)(void *vmctx, void *values);

static __thread sigjmp_buf *kiln_current_jmp;

int kiln_catch(kiln_array_call f, void *vmctx, void *values) {
    sigjmp_buf buf;
    sigjmp_buf *volatile prev = kiln_current_jmp;
    /* savemask = 0: saving the mask is a system call per call into wasm. A trap jumps
     * out of a signal handler, whose signal stays blocked: traps.rs unblocks the trap
     * signals when kiln_catch returns 1. */
    if (sigsetjmp(buf, 0) != 0) {
        kiln_current_jmp = prev;
        return 1;
    }
    kiln_current_jmp = &buf;
    f(vmctx, values);
    kiln_current_jmp = prev;
    return 0;
}

int kiln_in_catch(void) { return kiln_current_jmp != NULL; }

void kiln_unwind(void) { siglongjmp(*kiln_current_jmp, 1); }
