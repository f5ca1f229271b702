//! Wasm exceptions: tags, exception objects and the unwinder that delivers a thrown
//! exception to its handler.
//!
//! SANDBOX-CRITICAL (two reviews please): the unwinder moves the stack pointer, the frame
//! pointer and the program counter of the running thread.
//!
//! # Tags
//!
//! A tag is a [`VmTag`]; its address is its identity (an imported tag is the exporter's).
//! Tags are allocated once per defining instance and never freed, because an exception
//! may outlive its tag's instance and is matched by that address.
//!
//! # Exception objects
//!
//! `throw` calls [`kiln_rt_exn_new`] for an object of the tag ([`VmExn`]: the tag, then
//! one `ValRaw` per payload value), stores the payload into it, and calls
//! `kiln_rt_throw_ref` with it; an `exnref` is a pointer to such an object. Objects are
//! never freed: an `exnref` can be copied into any global or table, of any instance, or
//! handed to the host, and there is no collector to find the last copy. Each throw of a new
//! exception costs `16 + 16 * payload` bytes for the rest of the process (rethrowing an
//! `exnref` allocates nothing).
//!
//! # Unwinding
//!
//! Compiled code calls `kiln_rt_throw_ref` (an assembly entry in `arch`, reached with
//! Cranelift's `tail` convention) with the exception. The entry passes the return address
//! into its wasm caller and the caller's frame pointer to `throw`, which walks the frame
//! pointer chain through wasm frames, exactly as a trap backtrace does. For each frame, the
//! return address names a call site; if the compiler recorded exception handlers for it
//! (a `try_call` inside a `try_table` or legacy `try`), they are tried in order: a catch-all
//! matches, a tag handler matches when tag index `tag` of the calling instance (its vmctx
//! saved in the frame at the recorded offset) is the exception's tag. The first match
//! resumes there: `sp = fp - frame_offset`, the frame's `fp`, the exception in the first
//! payload register. Every register is clobbered across a `try_call` to a `tail` callee,
//! so nothing else needs restoring, and the frames skipped are wasm frames and this
//! module's own, which hold nothing with a destructor. When no wasm frame catches it, the
//! exception ends the call into wasm (`traps::uncaught_exception`).
//!
//! Traps never enter the unwinder (they arrive as signals and end the call into wasm), and
//! host code never throws, so neither can be caught by wasm.

use std::alloc::{self, Layout};

use kiln_abi::descriptor::Handler;
use kiln_abi::vmctx::{VmCtx, VmExn, VmTag, OFFSET_VMEXN_VALUES, VMEXN_VALUE_SIZE};

use crate::instance::from_vmctx;
use crate::module::lookup_pc;

/// A new tag of the function type with canonical id `type_id`, alive for good.
pub(crate) fn new_tag(type_id: u32) -> &'static VmTag {
    Box::leak(Box::new(VmTag {
        type_id,
        reserved: 0,
    }))
}

/// `throw`'s first half: a new exception of the caller's tag `tag`, payload zeroed, for
/// compiled code to fill.
///
/// # Safety
/// Called by compiled code with its own live vmctx and a valid tag index.
#[no_mangle]
pub unsafe extern "C" fn kiln_rt_exn_new(vmctx: *mut VmCtx, tag: u32) -> u64 {
    // SAFETY: compiled code passes its own live vmctx.
    let inst = unsafe { from_vmctx(vmctx) };
    let info = &inst.module.info;
    let ty = info.tags[tag as usize];
    let n = info.types[ty as usize].params.len();
    let values = OFFSET_VMEXN_VALUES as usize + VMEXN_VALUE_SIZE as usize * n;
    let layout = Layout::from_size_align(values, 16).expect("a small layout");
    // SAFETY: the layout has a non-zero size (the header).
    let exn = unsafe { alloc::alloc_zeroed(layout) }.cast::<VmExn>();
    if exn.is_null() {
        alloc::handle_alloc_error(layout);
    }
    // SAFETY: a fresh allocation large enough for the header.
    unsafe {
        (*exn).tag = inst.tags[tag as usize];
        (*exn).num_values = u32::try_from(n).expect("the validator bounds a tag's parameters");
    }
    exn as u64
}

pub use crate::arch::kiln_rt_throw_ref;

/// Where `kiln_rt_throw_ref` lands: delivers `exn` to the innermost wasm handler that
/// catches it, or ends the call into wasm. `ret` is the return address into the wasm
/// function that threw, `fp` its frame pointer.
///
/// # Safety
/// Called only by the `kiln_rt_throw_ref` entry, from compiled code, with a non-null
/// exception made by [`kiln_rt_exn_new`].
pub(crate) unsafe extern "C" fn throw(exn: *const VmExn, ret: usize, fp: usize) -> ! {
    // SAFETY: live exception objects are never freed.
    let tag = unsafe { (*exn).tag };
    let (mut pc, mut frame) = (ret, fp);
    while frame != 0 && frame.is_multiple_of(8) {
        // `pc` is a return address: the call is just before it.
        let Some((m, def)) = lookup_pc(pc.wrapping_sub(1)) else {
            break;
        };
        let code = m.funcs[def as usize].code as usize;
        let ret_offset =
            u32::try_from(pc - code).expect("inside the function, whose code is sized in u32");
        if let Some((site, handlers)) = m.call_site(def, ret_offset) {
            let sp = frame - site.frame_offset as usize;
            // SAFETY: the compiler recorded where this frame saved its vmctx, a live
            // context (its instance is running).
            let ctx = unsafe { *((sp + site.context_offset as usize) as *const *const VmCtx) };
            // SAFETY: a live context's tags array has one entry per tag index, and the
            // handler's tag index is one of the calling module's.
            let matches = |h: &Handler| {
                h.tag == Handler::CATCH_ALL || unsafe { *(*ctx).tags.add(h.tag as usize) } == tag
            };
            if let Some(h) = handlers.iter().find(|h| matches(h)) {
                let target = code + h.target_offset as usize;
                // SAFETY: `target` is the landing block of a `try_call` in the frame
                // `frame`, which is live, and `sp` its stack pointer at that call.
                unsafe { crate::arch::resume(target, sp, frame, exn as usize) }
            }
        }
        // SAFETY: `frame` is the frame pointer of a wasm frame (checked above), and wasm
        // frames keep frame records.
        let (next, next_ret) = unsafe { crate::arch::frame_record(frame) };
        frame = next;
        pc = next_ret;
    }
    // SAFETY: the caller's contract: `fp` is the wasm caller's frame pointer.
    unsafe { crate::traps::uncaught_exception(exn as usize, ret, fp) }
}
