/* Kiln runtime: the only place that calls sigsetjmp/siglongjmp.
 *
 * kiln_catch() calls `f(vmctx, values)` (an array-call trampoline) with a jump buffer
 * installed for this thread; kiln_unwind() jumps back to the innermost kiln_catch(), which
 * then returns 1. The jump buffer lives in this C frame, so no Rust frame with destructors
 * is ever skipped except the plain host frames documented at each kiln_unwind() caller. */
#include <setjmp.h>
#include <stddef.h>

typedef void (*kiln_array_call)(void *vmctx, void *values);

static __thread sigjmp_buf *kiln_current_jmp;

int kiln_catch(kiln_array_call f, void *vmctx, void *values) {
    sigjmp_buf buf;
    sigjmp_buf *volatile prev = kiln_current_jmp;
    /* savemask = 1: a trap jumps out of a signal handler, whose signal must be unblocked
     * again when we land here. */
    if (sigsetjmp(buf, 1) != 0) {
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
