//! `proc_exit`, `proc_raise`, `sched_yield`.

use kiln_abi::vmctx::VmCtx;

use super::errno;

/// Ends the program (or, in the embedding API, the call into wasm) with `code`.
pub(crate) extern "C" fn proc_exit(_vmctx: *mut VmCtx, code: u32) {
    // Holds nothing with a destructor: `exit` may unwind past this frame.
    crate::traps::exit(code as i32)
}

/// Raising signals is not supported (as in wasmtime).
pub(crate) extern "C" fn proc_raise(_vmctx: *mut VmCtx, _sig: u32) -> u32 {
    u32::from(errno::NOTSUP)
}

pub(crate) extern "C" fn sched_yield(_vmctx: *mut VmCtx) -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::sched_yield() };
    0
}
