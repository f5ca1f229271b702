//! `clock_*`: realtime, monotonic and CPU-time clocks in nanoseconds.
//!
//! Deliberate difference from wasmtime: the process and thread CPU-time clocks are served
//! (wasmtime answers `EBADF`), as Node does and as C's `clock()` needs.

use kiln_abi::vmctx::VmCtx;

use super::constants::clockid;
use super::ctx::{with, WasiCtx};
use super::errno::{self, Errno};
use super::guest::Guest;

pub(crate) fn host_clock(id: u32) -> Result<libc::clockid_t, Errno> {
    Ok(match id {
        clockid::REALTIME => libc::CLOCK_REALTIME,
        clockid::MONOTONIC => libc::CLOCK_MONOTONIC,
        clockid::PROCESS_CPUTIME_ID => libc::CLOCK_PROCESS_CPUTIME_ID,
        clockid::THREAD_CPUTIME_ID => libc::CLOCK_THREAD_CPUTIME_ID,
        _ => return Err(errno::invalid("enum", "Clockid")),
    })
}

pub(crate) fn now(clock: libc::clockid_t) -> Result<u64, Errno> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: writes the timespec.
    if unsafe { libc::clock_gettime(clock, &mut ts) } != 0 {
        return Err(errno::last());
    }
    Ok((ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64))
}

pub(crate) extern "C" fn clock_res_get(vmctx: *mut VmCtx, id: u32, out: u32) -> u32 {
    let call = |_: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let clock = host_clock(id)?;
        let out = mem.structure(out, 8, 8)?;
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: writes the resolution into the local `ts`.
        if unsafe { libc::clock_getres(clock, &mut ts) } != 0 {
            return Err(errno::last());
        }
        out.set_u64(0, ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn clock_time_get(
    vmctx: *mut VmCtx,
    id: u32,
    _precision: u64,
    out: u32,
) -> u32 {
    let call = |_: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        mem.write_u64(out, now(host_clock(id)?)?)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}
