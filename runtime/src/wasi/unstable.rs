//! `wasi_unstable` (WASI snapshot 0), the interface older SDKs target, built on the
//! preview1 functions as wasmtime's snapshot-0 adapter builds it (`crates/wasi/src/p0.rs`,
//! with `witx/p0/typenames.witx`): the same functions with the same core signatures
//! (but `sock_accept`, which snapshot 0 lacks), the same errnos, file types, flags and
//! `fdstat`, `dirent`, `prestat`, `event` and iovec layouts. What differs is handled here:
//!
//! - `whence` is numbered `CUR, END, SET` (0, 1, 2), not `SET, CUR, END`: `fd_seek` maps it;
//! - `rights` ends before `sock_accept` (bit 29): `fd_fdstat_get` leaves it out of what it
//!   reports, `path_open` and `fd_fdstat_set_rights` refuse it as an invalid flag;
//! - `filestat` has a 32-bit `nlink` (56 bytes, not 64): `fd_filestat_get` and
//!   `path_filestat_get` lay it out (a count past `u32::MAX` saturates);
//! - a clock subscription starts with an `identifier` (56-byte subscriptions, not 48):
//!   `poll_oneoff` does what wasmtime does, rewriting each subscription in place as
//!   preview1's, polling with preview1's code and, on success, rewriting them back. As in
//!   wasmtime, preview1's code then reads the array with preview1's stride, so only a
//!   single subscription is read as written; more see a shifted array (usually `EINVAL`);
//! - `sock_recv`, `sock_send` and `sock_shutdown` end the program ("unsupported"), as
//!   wasmtime's adapter does.

use std::sync::Mutex;

use kiln_abi::vmctx::VmCtx;

use super::constants::{clockid, eventtype, rights, subclockflags, whence};
use super::ctx::{with, with_shared, WasiCtx};
use super::errno::{self, Errno};
use super::guest::Guest;
use super::{fd, path, poll};

/// Snapshot 0's `whence` values.
pub mod whence0 {
    pub const CUR: u32 = 0;
    pub const END: u32 = 1;
    pub const SET: u32 = 2;
}

/// Every right snapshot 0 defines: preview1's up to `sock_shutdown`.
pub const RIGHTS_ALL: u64 = rights::ALL & !rights::SOCK_ACCEPT;

/// Snapshot 0's `filestat` (56 bytes): `dev`, `ino`, `filetype` as preview1's, then a
/// 32-bit `nlink` at 20 and `size`, `atim`, `mtim`, `ctim` from 24.
mod filestat0 {
    pub(super) const SIZE: u32 = 56;
    pub(super) const DEV: u32 = 0;
    pub(super) const INO: u32 = 8;
    pub(super) const FILETYPE: u32 = 16;
    pub(super) const NLINK: u32 = 20;
    pub(super) const REST: u32 = 24;
}

/// Preview1's `filestat` (64 bytes): a 64-bit `nlink` at 24, the rest from 32.
mod filestat1 {
    pub(super) const DEV: usize = 0;
    pub(super) const INO: usize = 8;
    pub(super) const FILETYPE: usize = 16;
    pub(super) const NLINK: usize = 24;
    pub(super) const REST: usize = 32;
}

/// Snapshot 0's `subscription` (56 bytes): `userdata`, the tag at 8, then at 16 either a
/// clock (`identifier`, `id` at 24, `timeout` at 32, `precision` at 40, `flags` at 48) or
/// an fd.
mod sub0 {
    pub(super) const SIZE: u32 = 56;
    pub(super) const IDENTIFIER: u32 = 16;
    pub(super) const ID: u32 = 24;
    pub(super) const TIMEOUT: u32 = 32;
    pub(super) const PRECISION: u32 = 40;
    pub(super) const FLAGS: u32 = 48;
}

/// Preview1's clock subscription: no `identifier`, so `id` at 16 and the rest 8 bytes
/// earlier.
mod sub1 {
    pub(super) const ID: u32 = 16;
    pub(super) const TIMEOUT: u32 = 24;
    pub(super) const PRECISION: u32 = 32;
    pub(super) const FLAGS: u32 = 40;
}

/// Offsets shared by both snapshots' subscriptions.
const USERDATA: u32 = 0;
const TAG: u32 = 8;
const FD: u32 = 16;

/// The host function implementing `wasi_unstable.name`, if any.
pub fn function(name: &str) -> Option<*const u8> {
    Some(match name {
        "fd_seek" => fd_seek as *const () as *const u8,
        "fd_fdstat_get" => fd_fdstat_get as *const () as *const u8,
        "fd_fdstat_set_rights" => fd_fdstat_set_rights as *const () as *const u8,
        "fd_filestat_get" => fd_filestat_get as *const () as *const u8,
        "path_filestat_get" => path_filestat_get as *const () as *const u8,
        "path_open" => path_open as *const () as *const u8,
        "poll_oneoff" => poll_oneoff as *const () as *const u8,
        "sock_recv" => sock_recv as *const () as *const u8,
        "sock_send" => sock_send as *const () as *const u8,
        "sock_shutdown" => sock_shutdown as *const () as *const u8,
        _ if kiln_abi::wasi::lookup_import(kiln_abi::wasi::UNSTABLE_MODULE, name).is_none() => {
            return None
        }
        // Same layout and numbering as preview1.
        _ => return super::function(name),
    })
}

extern "C" fn fd_seek(vmctx: *mut VmCtx, fd: u32, offset: u64, whence: u32, out: u32) -> u32 {
    let whence = match whence {
        whence0::CUR => whence::CUR,
        whence0::END => whence::END,
        whence0::SET => whence::SET,
        // Invalid in both snapshots: preview1 ends the program.
        w => w,
    };
    fd::fd_seek(vmctx, fd, offset, whence, out)
}

/// Preview1's `fdstat` has snapshot 0's layout; only `sock_accept` is dropped from the
/// rights, as wasmtime converts them.
extern "C" fn fd_fdstat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let r = fd::fd_fdstat_get(vmctx, fd, out);
    if r != 0 {
        return r;
    }
    let call = |_: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        for at in [out + 8, out + 16] {
            mem.write_u64(at, mem.read_u64(at)? & RIGHTS_ALL)?;
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// Rights snapshot 0 does not define end the program, as any invalid flag value does.
fn check_rights(vmctx: *mut VmCtx, base: u64, inheriting: u64) -> Option<u32> {
    if (base | inheriting) & !RIGHTS_ALL == 0 {
        return None;
    }
    let call =
        |_: &mut WasiCtx, _: &Guest| -> Result<(), Errno> { Err(errno::invalid("flag", "Rights")) };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    Some(unsafe { with(vmctx, call) })
}

extern "C" fn fd_fdstat_set_rights(vmctx: *mut VmCtx, fd: u32, base: u64, inheriting: u64) -> u32 {
    check_rights(vmctx, base, inheriting)
        .unwrap_or_else(|| fd::fd_fdstat_set_rights(vmctx, fd, base, inheriting))
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
extern "C" fn path_open(
    vmctx: *mut VmCtx,
    fd: u32,
    dirflags: u32,
    path_ptr: u32,
    path_len: u32,
    oflags: u32,
    base: u64,
    inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> u32 {
    check_rights(vmctx, base, inheriting).unwrap_or_else(|| {
        path::path_open(
            vmctx, fd, dirflags, path_ptr, path_len, oflags, base, inheriting, fdflags, opened,
        )
    })
}

/// Writes snapshot 0's `filestat` at `out` from preview1's, field by field: the padding
/// after `filetype` is left as it was, as wasmtime leaves it.
fn write_filestat0(mem: &Guest, out: u32, b: &[u8; 64]) -> Result<(), Errno> {
    let u64_at = |at: usize| {
        let mut v = [0u8; 8];
        v.copy_from_slice(&b[at..at + 8]);
        u64::from_le_bytes(v)
    };
    // The whole structure checked once: no field offset below can wrap.
    mem.structure(out, filestat0::SIZE, 8)?;
    mem.write_u64(out + filestat0::DEV, u64_at(filestat1::DEV))?;
    mem.write_u64(out + filestat0::INO, u64_at(filestat1::INO))?;
    mem.write_u8(out + filestat0::FILETYPE, b[filestat1::FILETYPE])?;
    let nlink = u32::try_from(u64_at(filestat1::NLINK)).unwrap_or(u32::MAX);
    mem.write_u32(out + filestat0::NLINK, nlink)?;
    for i in 0..4 {
        mem.write_u64(
            out + filestat0::REST + 8 * i,
            u64_at(filestat1::REST + 8 * i as usize),
        )?;
    }
    Ok(())
}

extern "C" fn fd_filestat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        write_filestat0(mem, out, &fd::fd_filestat(cx, fd)?)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

extern "C" fn path_filestat_get(
    vmctx: *mut VmCtx,
    fd: u32,
    flags: u32,
    path_ptr: u32,
    path_len: u32,
    out: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let b = path::path_filestat(cx, mem, fd, flags, path_ptr, path_len)?;
        write_filestat0(mem, out, &b)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// One snapshot-0 subscription as read (and later written back).
enum Sub0 {
    Clock {
        userdata: u64,
        identifier: u64,
        id: u32,
        timeout: u64,
        precision: u64,
        flags: u16,
    },
    Fd {
        userdata: u64,
        tag: u8,
        fd: u32,
    },
}

fn read_u16(mem: &Guest, at: u32) -> Result<u16, Errno> {
    let b = mem.bytes(at, 2)?;
    Ok(u16::from_le_bytes([b[0], b[1]]))
}

/// Reads the subscription at `s` with snapshot 0's validation: an unknown tag, clock id or
/// clock flag is `EINVAL` (wasmtime reads it from memory, so it is an errno, not the end
/// of the program).
fn read_sub0(mem: &Guest, s: u32) -> Result<Sub0, Errno> {
    mem.structure(s, sub0::SIZE, 8)?;
    let userdata = mem.read_u64(s + USERDATA)?;
    let tag = mem.bytes(s + TAG, 1)?[0];
    match tag {
        eventtype::CLOCK => {
            let identifier = mem.read_u64(s + sub0::IDENTIFIER)?;
            let id = mem.read_u32(s + sub0::ID)?;
            if id > clockid::THREAD_CPUTIME_ID {
                return Err(errno::INVAL);
            }
            let timeout = mem.read_u64(s + sub0::TIMEOUT)?;
            let precision = mem.read_u64(s + sub0::PRECISION)?;
            let flags = read_u16(mem, s + sub0::FLAGS)?;
            if flags & !subclockflags::SUBSCRIPTION_CLOCK_ABSTIME != 0 {
                return Err(errno::INVAL);
            }
            Ok(Sub0::Clock {
                userdata,
                identifier,
                id,
                timeout,
                precision,
                flags,
            })
        }
        eventtype::FD_READ | eventtype::FD_WRITE => Ok(Sub0::Fd {
            userdata,
            tag,
            fd: mem.read_u32(s + FD)?,
        }),
        _ => Err(errno::INVAL),
    }
}

/// Writes `sub` at `s` field by field, in preview1's layout or (`snapshot0`) its own; bytes
/// between fields are left as they are, as wasmtime leaves them.
fn write_sub(mem: &Guest, s: u32, sub: &Sub0, snapshot0: bool) -> Result<(), Errno> {
    match *sub {
        Sub0::Clock {
            userdata,
            identifier,
            id,
            timeout,
            precision,
            flags,
        } => {
            mem.write_u64(s + USERDATA, userdata)?;
            mem.write_u8(s + TAG, eventtype::CLOCK)?;
            if snapshot0 {
                mem.write_u64(s + sub0::IDENTIFIER, identifier)?;
                mem.write_u32(s + sub0::ID, id)?;
                mem.write_u64(s + sub0::TIMEOUT, timeout)?;
                mem.write_u64(s + sub0::PRECISION, precision)?;
                mem.write_u16(s + sub0::FLAGS, flags)
            } else {
                mem.write_u32(s + sub1::ID, id)?;
                mem.write_u64(s + sub1::TIMEOUT, timeout)?;
                mem.write_u64(s + sub1::PRECISION, precision)?;
                mem.write_u16(s + sub1::FLAGS, flags)
            }
        }
        Sub0::Fd { userdata, tag, fd } => {
            mem.write_u64(s + USERDATA, userdata)?;
            mem.write_u8(s + TAG, tag)?;
            mem.write_u32(s + FD, fd)
        }
    }
}

extern "C" fn poll_oneoff(vmctx: *mut VmCtx, input: u32, out: u32, n: u32, nevents: u32) -> u32 {
    let call = |cx: &Mutex<WasiCtx>, mem: &Guest| -> Result<(), Errno> {
        let slot = |i: u32| {
            i.checked_mul(sub0::SIZE)
                .and_then(|off| input.checked_add(off))
                .ok_or_else(|| errno::trap("pointer overflow".into(), errno::FAULT))
        };
        // Slot by slot, as wasmtime: a bad one leaves the earlier ones rewritten.
        let mut old = Vec::with_capacity(n.min(1024) as usize);
        for i in 0..n {
            let s = slot(i)?;
            let sub = read_sub0(mem, s)?;
            write_sub(mem, s, &sub, false)?;
            old.push(sub);
        }
        let k = poll::poll(cx, mem, input, out, n)?;
        for (i, sub) in (0..).zip(&old) {
            write_sub(mem, slot(i)?, sub, true)?;
        }
        mem.write_u32(nevents, k)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with_shared(vmctx, call) }
}

/// wasmtime's snapshot-0 adapter has no sockets: these end the program.
fn unsupported(vmctx: *mut VmCtx, name: &str) -> u32 {
    let call = |_: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        Err(errno::trap(format!("{name} unsupported"), errno::NOTSUP))
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

extern "C" fn sock_recv(
    vmctx: *mut VmCtx,
    _fd: u32,
    _iovs: u32,
    _n: u32,
    _flags: u32,
    _nread: u32,
    _oflags: u32,
) -> u32 {
    unsupported(vmctx, "sock_recv")
}

extern "C" fn sock_send(
    vmctx: *mut VmCtx,
    _fd: u32,
    _iovs: u32,
    _n: u32,
    _flags: u32,
    _nwritten: u32,
) -> u32 {
    unsupported(vmctx, "sock_send")
}

extern "C" fn sock_shutdown(vmctx: *mut VmCtx, _fd: u32, _how: u32) -> u32 {
    unsupported(vmctx, "sock_shutdown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unstable_function_is_bound() {
        for (name, _, _) in kiln_abi::wasi::unstable_functions() {
            assert!(function(name).is_some(), "{name}");
        }
        assert!(function("sock_accept").is_none());
        assert!(function("no_such_function").is_none());
    }

    #[test]
    fn filestat_moves_past_a_32_bit_nlink() {
        let mut b = [0u8; 64];
        for (i, x) in (0u8..).zip(b.iter_mut()) {
            *x = i;
        }
        b[24..32].copy_from_slice(&7u64.to_le_bytes());
        let mut mem = [0xaau8; 64];
        let mut aligned = [0u64; 8];
        // SAFETY: 64 bytes of 8-aligned test memory, live while `g` is used.
        let g = unsafe { Guest::from_raw(aligned.as_mut_ptr().cast(), 64) };
        g.write_bytes(0, &mem).unwrap();
        write_filestat0(&g, 0, &b).unwrap();
        mem.copy_from_slice(g.bytes(0, 64).unwrap());
        assert_eq!(mem[..17], b[..17]);
        assert_eq!(mem[17..20], [0xaa; 3], "padding left alone");
        assert_eq!(mem[20..24], 7u32.to_le_bytes());
        assert_eq!(mem[24..56], b[32..64]);
        assert_eq!(mem[56..], [0xaa; 8], "nothing past 56 bytes");
        b[24..32].copy_from_slice(&(1u64 << 40).to_le_bytes());
        write_filestat0(&g, 0, &b).unwrap();
        assert_eq!(g.bytes(20, 4).unwrap(), u32::MAX.to_le_bytes());
    }
}
