//! AArch64 (AAPCS64, Linux): what [`super`] needs from this architecture.
//!
//! SANDBOX-CRITICAL (two reviews please): the trap handler trusts these registers and the
//! frame-record layout to decide what is a wasm trap and to walk wasm frames.

use std::arch::{asm, naked_asm};

pub(crate) const ARCH: kiln_abi::target::Arch = kiln_abi::target::Arch::Aarch64;

/// PC and x29 (the frame pointer) of the interrupted context.
///
/// # Safety
/// `ucontext` is a kernel-provided `ucontext_t` of an `SA_SIGINFO` handler.
#[inline(always)]
#[expect(
    clippy::cast_possible_truncation,
    reason = "the registers are u64 and usize is 64 bits on aarch64: nothing is narrowed"
)]
pub(crate) unsafe fn signal_pc_fp(ucontext: *const libc::c_void) -> (usize, usize) {
    // SAFETY: the caller's contract.
    let uc = unsafe { &*(ucontext as *const libc::ucontext_t) };
    let mc = &uc.uc_mcontext;
    (mc.pc as usize, mc.regs[29] as usize)
}

/// The prologue `stp x29, x30, [sp, #-16]!; mov x29, sp` leaves [x29] = the caller's x29
/// and [x29 + 8] = the return address (the link register x30 at entry): the same two
/// words as on x86-64.
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
    // SAFETY: copies sp into a register; touches no memory.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
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
        // so x29 is the adapter's frame pointer: its frame record holds the wasm caller's
        // frame pointer and the return address into it. sp is always 16-byte aligned;
        // `raise` never returns.
        "ldr x0, [x29, #8]",
        "ldr x1, [x29]",
        "bl {raise}",
        "brk #0",
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
        // Reached with Cranelift's `tail` convention, which on AArch64 passes arguments
        // from x2 on (not x0 as the C convention does): vmctx in x2, the exception in x3;
        // x30 the return address into the wasm caller, x29 the caller's frame pointer
        // (wasm code keeps frame pointers; this entry pushes no frame of its own). sp is
        // always 16-byte aligned; `throw` never returns.
        "mov x0, x3",
        "mov x1, x30",
        "mov x2, x29",
        "bl {throw}",
        "brk #0",
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
    // payload in x0 (and x1, unused). x29 cannot be an operand: it is set in the template.
    unsafe {
        asm!(
            "mov sp, x9",
            "mov x29, x10",
            "br x11",
            in("x0") payload,
            in("x1") 0usize,
            in("x9") sp,
            in("x10") fp,
            in("x11") pc,
            options(noreturn),
        )
    }
}

/// Hand-assembled AArch64 code for the runtime's tests: a few functions at fixed places in
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

    /// `stp x29, x30, [sp, #-16]!`
    const PUSH_FRAME: u32 = 0xa9bf_7bfd;
    /// `mov x29, sp`
    const SET_FP: u32 = 0x9100_03fd;
    /// `ldp x29, x30, [sp], #16`
    const POP_FRAME: u32 = 0xa8c1_7bfd;
    /// `ret`
    const RET: u32 = 0xd65f_03c0;
    /// `udf #0`: Cranelift's trap instruction.
    const UDF: u32 = 0x0000_0000;
    /// `brk #0`, the filler.
    const BRK: u32 = 0xd420_0000;

    /// `fn()`: keeps a frame record and executes a trap instruction.
    pub(crate) const TRAP: Func = Func {
        offset: 0,
        len: 12,
        trap_at: Some(8),
    };
    /// An array-call trampoline writing i32 42 to `values[0]` (`mov w8, #42;
    /// str w8, [x1]; ret`).
    pub(crate) const ANSWER: Func = Func {
        offset: 16,
        len: 12,
        trap_at: None,
    };
    /// `fn(vmctx)`: loads from linear memory address 0x20000 (frame; `ldr x8, [x0]`;
    /// `mov x9, #0x20000`; `ldr w0, [x8, x9]`; unframe; `ret`; vmctx starts with the
    /// memory base).
    pub(crate) const LOAD_0X20000: Func = Func {
        offset: 32,
        len: 28,
        trap_at: Some(16),
    };
    /// `fn()`: keeps a frame record and calls [`TRAP`] (frame; `bl`; unframe; `ret`).
    pub(crate) const CALL_TRAP: Func = Func {
        offset: 64,
        len: 20,
        trap_at: None,
    };

    /// The page: the functions above, `brk` everywhere else.
    pub(crate) fn page() -> Vec<u8> {
        let mut code: Vec<u8> = std::iter::repeat_n(BRK.to_le_bytes(), 1024)
            .flatten()
            .collect();
        let mut put = |f: &Func, insns: &[u32]| {
            assert_eq!(insns.len() * 4, f.len as usize);
            for (i, insn) in insns.iter().enumerate() {
                let at = f.offset + 4 * i;
                code[at..at + 4].copy_from_slice(&insn.to_le_bytes());
            }
        };
        put(&TRAP, &[PUSH_FRAME, SET_FP, UDF]);
        put(&ANSWER, &[0x5280_0548, 0xb900_0028, RET]);
        put(
            &LOAD_0X20000,
            &[
                PUSH_FRAME,
                SET_FP,
                0xf940_0008, // ldr x8, [x0]
                0xd2a0_0049, // mov x9, #0x20000 (movz x9, #2, lsl #16)
                0xb869_6900, // ldr w0, [x8, x9]
                POP_FRAME,
                RET,
            ],
        );
        // `bl` at +8 jumps by a signed word count relative to itself.
        let words = |bytes: usize| i32::try_from(bytes / 4).expect("within a 4 KiB page");
        let rel = words(TRAP.offset) - words(CALL_TRAP.offset + 8);
        let bl = 0x9400_0000 | (rel.cast_unsigned() & 0x03ff_ffff);
        put(&CALL_TRAP, &[PUSH_FRAME, SET_FP, bl, POP_FRAME, RET]);
        code
    }
}
