//! `proc_exit`, `proc_raise`, `sched_yield`.

use kiln_abi::vmctx::VmCtx;

use super::constants::signal;
use super::errno;

/// Ends the program (or, in the embedding API, the call into wasm) with `code`.
/// A status of 126 or more is refused as wasmtime does: the program ends with status 1
/// and a message.
pub(crate) extern "C" fn proc_exit(_vmctx: *mut VmCtx, code: u32) {
    if code >= 126 {
        errno::trap(
            format!("proc_exit({code}): exit status outside of [0..126)"),
            errno::INVAL,
        );
        super::ctx::end_program();
        // Called from the host (outside wasm): still end.
        std::process::exit(1);
    }
    // Holds nothing with a destructor: `exit` may unwind past this frame.
    crate::traps::exit(code as i32)
}

/// Raising signals is not supported (as in wasmtime): `ENOTSUP` for a valid signal.
pub(crate) extern "C" fn proc_raise(_vmctx: *mut VmCtx, sig: u32) -> u32 {
    if sig > signal::SYS {
        errno::invalid("enum", "Signal");
        return u32::from(super::ctx::end_program());
    }
    u32::from(errno::NOTSUP)
}

pub(crate) extern "C" fn sched_yield(_vmctx: *mut VmCtx) -> u32 {
    // SAFETY: no preconditions.
    unsafe { libc::sched_yield() };
    0
}
