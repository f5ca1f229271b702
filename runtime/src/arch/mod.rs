//! Everything the runtime does differently per CPU architecture, behind one small API that
//! the rest of the runtime calls: reading the PC and frame pointer of an interrupted
//! context, walking a frame record, reading the stack pointer, the stub bound to unknown
//! imports, the entry that throws a wasm exception and the jump into its handler, and (for
//! tests) hand-assembled code.
//!
//! One module per architecture, each providing the same items; this file picks the one
//! the runtime is built for. Adding an architecture is adding its module here (and its
//! [`kiln_abi::target::Arch`] entry and Cranelift ISA in the compiler).

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
use x86_64 as imp;

#[cfg(target_arch = "aarch64")]
mod aarch64;
#[cfg(target_arch = "aarch64")]
use aarch64 as imp;

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
compile_error!(
    "kiln-runtime supports x86_64 and aarch64: add a module to runtime/src/arch for this one"
);

/// The architecture this runtime runs on; its facts are in `kiln_abi`.
pub(crate) const ARCH: kiln_abi::target::Arch = imp::ARCH;

/// The program counter and frame pointer of the context a signal interrupted.
///
/// # Safety
/// `ucontext` is the third argument the kernel passed to an `SA_SIGINFO` handler.
#[inline(always)]
pub(crate) unsafe fn signal_pc_fp(ucontext: *const libc::c_void) -> (usize, usize) {
    // SAFETY: the caller's contract.
    unsafe { imp::signal_pc_fp(ucontext) }
}

/// The frame record at frame pointer `fp`: (the caller's frame pointer, the return address
/// into the caller).
///
/// # Safety
/// `fp` is the frame pointer of a live frame that keeps a frame record (all wasm code does).
#[inline(always)]
pub(crate) unsafe fn frame_record(fp: usize) -> (usize, usize) {
    // SAFETY: the caller's contract.
    unsafe { imp::frame_record(fp) }
}

/// The current stack pointer.
#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    imp::stack_pointer()
}

/// The code bound to a function import Kiln does not provide (`--unknown-imports=trap`),
/// reached only through a table (by way of the import's adapter), with whatever signature:
/// it never returns, and calls
/// `traps::unknown_import_raise` with the wasm caller's return address and frame
/// pointer.
pub use imp::unknown_import;

/// The entry compiled code calls to throw an exception (`kiln_rt_throw_ref(vmctx, exn)`,
/// with Cranelift's `tail` convention): it calls `exceptions::throw` with the
/// exception, the return address into the wasm caller and the caller's frame pointer.
pub use imp::kiln_rt_throw_ref;

/// Resumes execution at `pc` (an exception handler's landing block) with stack pointer
/// `sp`, frame pointer `fp` and `payload` in the first exception payload register; every
/// other register is undefined there.
///
/// # Safety
/// `pc` is the landing block of a `try_call` in the live wasm frame at `fp`, `sp` that
/// frame's stack pointer at the call, and everything below `sp` is dead.
#[inline(always)]
pub(crate) unsafe fn resume(pc: usize, sp: usize, fp: usize, payload: usize) -> ! {
    // SAFETY: the caller's contract.
    unsafe { imp::resume(pc, sp, fp, payload) }
}

/// Hand-assembled code for the runtime's tests, the same functions on every architecture.
#[cfg(test)]
pub(crate) use imp::test_code;
