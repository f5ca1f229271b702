//! `args_*` and `environ_*`: the guest's argv and environment.

use kiln_abi::vmctx::VmCtx;

use super::errno::{Errno, OVERFLOW};
use super::guest::Guest;
use super::with;

/// Writes a list of NUL-terminated strings: pointers to `ptrs`, bytes to `buf`.
fn write_list(mem: &Guest, list: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    let total = u32::try_from(total).map_err(|_| OVERFLOW)?;
    let count = u32::try_from(list.len()).map_err(|_| OVERFLOW)?;
    mem.check_struct(ptrs, count.checked_mul(4).ok_or(OVERFLOW)?, 4)?;
    let out = mem.bytes(buf, total)?;
    let mut off = 0usize;
    for (i, s) in list.iter().enumerate() {
        mem.write_u32(ptrs + 4 * i as u32, buf + off as u32)?;
        out[off..off + s.len()].copy_from_slice(s);
        out[off + s.len()] = 0;
        off += s.len() + 1;
    }
    Ok(())
}

fn sizes(mem: &Guest, list: &[Vec<u8>], count_ptr: u32, size_ptr: u32) -> Result<(), Errno> {
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr, u32::try_from(list.len()).map_err(|_| OVERFLOW)?)?;
    mem.write_u32(size_ptr, u32::try_from(total).map_err(|_| OVERFLOW)?)
}

pub(crate) extern "C" fn args_get(vmctx: *mut VmCtx, argv: u32, buf: u32) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    unsafe { with(vmctx, |cx, mem| write_list(mem, &cx.args, argv, buf)) }
}

pub(crate) extern "C" fn args_sizes_get(vmctx: *mut VmCtx, argc: u32, size: u32) -> u32 {
    // SAFETY: as above.
    unsafe { with(vmctx, |cx, mem| sizes(mem, &cx.args, argc, size)) }
}

pub(crate) extern "C" fn environ_get(vmctx: *mut VmCtx, env: u32, buf: u32) -> u32 {
    // SAFETY: as above.
    unsafe { with(vmctx, |cx, mem| write_list(mem, &cx.env, env, buf)) }
}

pub(crate) extern "C" fn environ_sizes_get(vmctx: *mut VmCtx, count: u32, size: u32) -> u32 {
    // SAFETY: as above.
    unsafe { with(vmctx, |cx, mem| sizes(mem, &cx.env, count, size)) }
}
