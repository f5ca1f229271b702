//! x86-64 (System V, Linux): what [`super`] needs from this architecture.
//!
//! SANDBOX-CRITICAL (two reviews please): the trap handler trusts these registers and the
//! frame-record layout to decide what is a wasm trap and to walk wasm frames.

use std::arch::{asm, naked_asm};

pub(crate) const ARCH: kiln_abi::target::Arch = kiln_abi::target::Arch::X86_64;

/// RIP and RBP of the interrupted context.
///
/// # Safety
/// `ucontext` is a kernel-provided `ucontext_t` of an `SA_SIGINFO` handler.
#[inline(always)]
#[expect(
    clippy::cast_possible_truncation,
    reason = "a `greg_t` (i64) holds the register's 64 bits: reinterpreted as usize, not narrowed"
)]
pub(crate) unsafe fn signal_pc_fp(ucontext: *const libc::c_void) -> (usize, usize) {
    // SAFETY: the caller's contract.
    let uc = unsafe { &*(ucontext as *const libc::ucontext_t) };
    let gregs = &uc.uc_mcontext.gregs;
    (
        gregs[libc::REG_RIP as usize] as usize,
        gregs[libc::REG_RBP as usize] as usize,
    )
}

/// `push rbp; mov rbp, rsp` leaves [rbp] = the caller's rbp and [rbp + 8] = the return
/// address the `call` pushed.
///
/// # Safety
/// `fp` is the frame pointer of a live frame with such a record.
#[inline(always)]
pub(crate) unsafe fn frame_record(fp: usize) -> (usize, usize) {
    let p = fp as *const usize;
    // SAFETY: the caller's contract: two words of a live frame.
    unsafe { (*p, *p.add(1)) }
}

#[inline(always)]
pub(crate) fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: copies rsp into a register; touches no memory.
    unsafe { asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    sp
}

/// See [`super::unknown_import`].
///
/// # Safety
/// Only called by compiled wasm code, inside `traps::call`.
#[unsafe(naked)]
pub unsafe extern "C" fn unknown_import() {
    naked_asm!(
        // It is called by the import's adapter (compiled code, which keeps frame pointers),
        // so rbp is the adapter's frame pointer: its frame record holds the return address
        // into the wasm caller and the caller's frame pointer. Realign the stack for the
        // call; `raise` never returns.
        "mov rdi, [rbp + 8]",
        "mov rsi, [rbp]",
        "and rsp, -16",
        "call {raise}",
        "ud2",
        raise = sym crate::traps::unknown_import_raise,
    )
}

/// See [`super::kiln_rt_throw_ref`].
///
/// # Safety
/// Only called by compiled wasm code, with its vmctx and a non-null exception.
#[unsafe(naked)]
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_throw_ref(_vmctx: *mut kiln_abi::vmctx::VmCtx, _exn: u64) {
    naked_asm!(
        // Reached with Cranelift's `tail` convention: vmctx in rdi, the exception in rsi
        // (the C convention's registers too), [rsp] the return address into the wasm
        // caller, rbp the caller's frame pointer (wasm code keeps frame pointers; this
        // entry pushes no frame of its own). Realign the stack for the call; `throw` never
        // returns.
        "mov rdi, rsi",
        "mov rsi, [rsp]",
        "mov rdx, rbp",
        "and rsp, -16",
        "call {throw}",
        "ud2",
        throw = sym crate::exceptions::throw,
    )
}

/// See [`super::resume`].
///
/// # Safety
/// As [`super::resume`].
pub(crate) unsafe fn resume(pc: usize, sp: usize, fp: usize, payload: usize) -> ! {
    // SAFETY: the caller's contract: a landing block of a `try_call` whose frame is live at
    // `fp`, with `sp` its stack pointer at the call. Cranelift's exception ABI delivers the
    // payload in rax (and rdx, unused).
    unsafe {
        asm!(
            "mov rsp, rcx",
            "mov rbp, rsi",
            "jmp rdi",
            in("rax") payload,
            in("rdx") 0usize,
            in("rcx") sp,
            in("rsi") fp,
            in("rdi") pc,
            options(noreturn),
        )
    }
}

/// Hand-assembled x86-64 code for the runtime's tests: a few functions at fixed places in
/// one page, each described by a [`Func`].
#[cfg(test)]
pub(crate) mod test_code {
    /// A function of [`page`].
    pub(crate) struct Func {
        /// Where it starts in the page.
        pub offset: usize,
        pub len: u32,
        /// The offset (from its start) of its faulting instruction, if it has one.
        pub trap_at: Option<u32>,
    }

    /// `fn()`: keeps a frame record and executes a trap instruction (`push rbp;
    /// mov rbp, rsp; ud2`).
    pub(crate) const TRAP: Func = Func {
        offset: 0,
        len: 6,
        trap_at: Some(4),
    };
    /// An array-call trampoline writing i32 42 to `values[0]` (`mov dword [rsi], 42; ret`).
    pub(crate) const ANSWER: Func = Func {
        offset: 16,
        len: 7,
        trap_at: None,
    };
    /// `fn(vmctx)`: loads from linear memory address 0x20000 (`push rbp; mov rbp, rsp;
    /// mov rax, [rdi]; mov eax, [rax + 0x20000]; pop rbp; ret`; vmctx starts with the
    /// memory base).
    pub(crate) const LOAD_0X20000: Func = Func {
        offset: 32,
        len: 15,
        trap_at: Some(7),
    };
    /// `fn()`: keeps a frame record and calls [`TRAP`] (`push rbp; mov rbp, rsp; call;
    /// pop rbp; ret`).
    pub(crate) const CALL_TRAP: Func = Func {
        offset: 64,
        len: 11,
        trap_at: None,
    };

    /// The page: the functions above, `int3` everywhere else.
    pub(crate) fn page() -> Vec<u8> {
        let mut code = vec![0xccu8; 4096];
        let mut put = |f: &Func, bytes: &[u8]| {
            assert_eq!(bytes.len(), f.len as usize);
            code[f.offset..f.offset + bytes.len()].copy_from_slice(bytes);
        };
        put(&TRAP, &[0x55, 0x48, 0x89, 0xe5, 0x0f, 0x0b]);
        put(&ANSWER, &[0xc7, 0x06, 0x2a, 0, 0, 0, 0xc3]);
        put(
            &LOAD_0X20000,
            &[
                0x55, 0x48, 0x89, 0xe5, 0x48, 0x8b, 0x07, 0x8b, 0x80, 0, 0, 2, 0, 0x5d, 0xc3,
            ],
        );
        // The call's displacement is relative to the end of the 5-byte `call` at +4.
        let at = |f: &Func| i32::try_from(f.offset).expect("offsets within a 4 KiB page");
        let rel = (at(&TRAP) - (at(&CALL_TRAP) + 9)).to_le_bytes();
        put(
            &CALL_TRAP,
            &[
                0x55, 0x48, 0x89, 0xe5, 0xe8, rel[0], rel[1], rel[2], rel[3], 0x5d, 0xc3,
            ],
        );
        code
    }
}
