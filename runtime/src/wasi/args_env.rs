//! `args_*` and `environ_*`: the guest's argv and environment.

use kiln_abi::vmctx::VmCtx;

use super::ctx::{with, WasiCtx};
use super::errno::{Errno, OVERFLOW};
use super::guest::{advance, Guest};

/// Writes a list of NUL-terminated strings: pointers to `ptrs`, bytes to `buf`, one
/// entry at a time (as wasmtime: an empty list touches nothing). Both pointers advance
/// past each entry as it is written, so the one that reaches 4 GiB ends the program even
/// when it was the last entry, as in wasmtime.
fn write_list(mem: &Guest, list: &[Vec<u8>], ptrs: u32, buf: u32) -> Result<(), Errno> {
    let (mut p, mut at) = (ptrs, buf);
    for s in list {
        mem.write_u32(p, at)?;
        mem.write_bytes(at, s)?;
        let nul = advance(at, s.len() as u64)?;
        mem.write_u8(nul, 0)?;
        at = advance(nul, 1)?;
        p = advance(p, 4)?;
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
