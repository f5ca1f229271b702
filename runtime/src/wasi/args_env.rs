//! `args_*` and `environ_*`: the guest's argv and environment.

use kiln_abi::vmctx::VmCtx;

use super::ctx::{with, WasiCtx};
use super::errno::{Errno, OVERFLOW};
use super::guest::Guest;

/// Writes a list of NUL-terminated strings: pointers to `ptrs`, bytes to `buf`.
/// Writes a list of NUL-terminated strings: pointers to `ptrs`, bytes to `buf`, one
/// entry at a time (as wasmtime: an empty list touches nothing).
fn write_list(mem: &Guest, list: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let mut at = buf;
    for (i, s) in list.iter().enumerate() {
        let p = u32::try_from(i * 4)
            .ok()
            .and_then(|o| ptrs.checked_add(o))
            .ok_or(OVERFLOW)?;
        mem.write_u32(p, at)?;
        let len = u32::try_from(s.len()).map_err(|_| OVERFLOW)?;
        mem.write_bytes(at, s)?;
        at = at.checked_add(len).ok_or(OVERFLOW)?;
        mem.write_u8(at, 0)?;
        at = at.checked_add(1).ok_or(OVERFLOW)?;
    }
    Ok(())
}

fn sizes(mem: &Guest, list: &[Vec<u8>], count_ptr: u32, size_ptr: u32) -> Result<(), Errno> {
    let total: usize = list.iter().map(|s| s.len() + 1).sum();
    mem.write_u32(count_ptr, u32::try_from(list.len()).map_err(|_| OVERFLOW)?)?;
    mem.write_u32(size_ptr, u32::try_from(total).map_err(|_| OVERFLOW)?)
}

pub(crate) extern "C" fn args_get(vmctx: *mut VmCtx, argv: u32, buf: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        write_list(mem, &cx.args, argv, buf)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn args_sizes_get(vmctx: *mut VmCtx, argc: u32, size: u32) -> u32 {
    let call =
        |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> { sizes(mem, &cx.args, argc, size) };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn environ_get(vmctx: *mut VmCtx, env: u32, buf: u32) -> u32 {
    let call =
        |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> { write_list(mem, &cx.env, env, buf) };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn environ_sizes_get(vmctx: *mut VmCtx, count: u32, size: u32) -> u32 {
    let call =
        |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> { sizes(mem, &cx.env, count, size) };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}
