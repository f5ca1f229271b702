//! `sock_*`: TCP sockets the launcher hands over (`KILN_TCPLISTEN`, see `entry.rs`), with
//! the semantics of wasmtime's former `--tcplisten` (wasi-common): the listener is the fd
//! after the preopens, `sock_accept` yields a connected stream, `sock_recv`/`sock_send`/
//! `sock_shutdown` (and `fd_read`/`fd_write`/`poll_oneoff`) work on it. On any other
//! descriptor these functions answer `ENOTSOCK`, as wasmtime 49 does.

use kiln_abi::vmctx::VmCtx;

use super::constants::{fdflags, riflags, sdflags};
use super::ctx::{with, Desc, HostFd, WasiCtx};
use super::errno::{self, Errno};
use super::guest::Guest;

/// The host fd of a socket descriptor; `ENOTSOCK` for anything else.
fn socket(cx: &WasiCtx, fd: u32) -> Result<(i32, bool), Errno> {
    match cx.entry(fd)? {
        Desc::Listener { fd } => Ok((fd.0, true)),
        Desc::Stream { fd, .. } => Ok((fd.0, false)),
        _ => Err(errno::NOTSOCK),
    }
}

pub(crate) fn set_nonblock(fd: i32, flag: &mut bool, on: bool) -> Result<(), Errno> {
    // SAFETY: reads the status flags of an fd the context owns; no memory is passed.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    let nfl = if on {
        fl | libc::O_NONBLOCK
    } else {
        fl & !libc::O_NONBLOCK
    };
    // SAFETY: sets the status flags of the same fd; no memory is passed.
    if fl < 0 || unsafe { libc::fcntl(fd, libc::F_SETFL, nfl) } != 0 {
        return Err(errno::last());
    }
    *flag = on;
    Ok(())
}

/// The guest's iovec array as host `iovec`s pointing into linear memory (each checked).
fn host_iovecs(mem: &Guest, iovs: u32, n: u32) -> Result<Vec<libc::iovec>, Errno> {
    mem.iovecs(iovs, n)?
        .into_iter()
        .map(|(buf, len)| {
            let b = mem.bytes(buf, len)?;
            Ok(libc::iovec {
                iov_base: b.as_mut_ptr().cast(),
                iov_len: b.len(),
            })
        })
        .collect()
}

/// A `msghdr` naming the buffers `v` (no address, no control data).
#[cfg_attr(
    target_env = "gnu",
    expect(
        clippy::useless_conversion,
        reason = "`msg_iovlen` is a usize in glibc, an i32 in musl: one conversion for both"
    )
)]
fn msghdr(v: &mut [libc::iovec]) -> Result<libc::msghdr, Errno> {
    // SAFETY: `msghdr` is plain data; all zeroes is an empty header.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = v.as_mut_ptr();
    // `msg_iovlen` is a `size_t` in glibc and an `int` in musl; Linux refuses more than
    // UIO_MAXIOV (1024) buffers with EMSGSIZE either way.
    msg.msg_iovlen = v
        .len()
        .try_into()
        .map_err(|_| errno::from_host(libc::EMSGSIZE))?;
    Ok(msg)
}

/// Linux moves at most `MAX_RW_COUNT` (0x7fff_f000) bytes in one send or receive.
const MAX_RW: &str = "Linux transfers at most 0x7ffff000 bytes in one call";

fn host_result(r: isize) -> Result<usize, Errno> {
    if r < 0 {
        Err(errno::last())
    } else {
        Ok(r as usize)
    }
}

pub(crate) extern "C" fn sock_accept(vmctx: *mut VmCtx, fd: u32, flags: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if flags & !fdflags::ALL != 0 {
            return Err(errno::invalid("flag", "Fdflags"));
        }
        let (host, _) = socket(cx, fd)?;
        if flags & !fdflags::NONBLOCK != 0 {
            return Err(errno::INVAL);
        }
        cx.check_room()?;
        let nonblock = flags & fdflags::NONBLOCK != 0;
        let mut kind = libc::SOCK_CLOEXEC;
        if nonblock {
            kind |= libc::SOCK_NONBLOCK;
        }
        let c = loop {
            // SAFETY: accepts on a socket fd the context owns; no peer address is asked for
            // (both pointers null).
            let c =
                unsafe { libc::accept4(host, std::ptr::null_mut(), std::ptr::null_mut(), kind) };
            if c >= 0 {
                break c;
            }
            let e = errno::last();
            if e != errno::from_host(libc::EINTR) {
                return Err(e);
            }
        };
        let out = mem.structure(out, 4, 4).inspect_err(|_| {
            // SAFETY: closes the connection just accepted, which nothing else owns.
            unsafe { libc::close(c) };
        })?;
        out.set_u32(
            0,
            cx.push(Desc::Stream {
                fd: HostFd(c),
                nonblock,
            }),
        );
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn sock_recv(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    ri_flags: u32,
    ro_len: u32,
    ro_flags: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if ri_flags & !riflags::ALL != 0 {
            return Err(errno::invalid("flag", "Riflags"));
        }
        let (host, _) = socket(cx, fd)?;
        let mut v = host_iovecs(mem, iovs, n)?;
        let mut flags = 0;
        if ri_flags & riflags::RECV_PEEK != 0 {
            flags |= libc::MSG_PEEK;
        }
        if ri_flags & riflags::RECV_WAITALL != 0 {
            flags |= libc::MSG_WAITALL;
        }
        let mut msg = msghdr(&mut v)?;
        let r = loop {
            // SAFETY: `msg` points at `v`, host iovecs into checked ranges of linear memory,
            // all alive during the call.
            match host_result(unsafe { libc::recvmsg(host, &mut msg, flags) }) {
                Err(e) if e == errno::from_host(libc::EINTR) => continue,
                r => break r?,
            }
        };
        mem.write_u32(ro_len, u32::try_from(r).expect(MAX_RW))?;
        mem.write_u16(ro_flags, 0)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn sock_send(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    si_flags: u32,
    so_len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if si_flags != 0 {
            return Err(errno::invalid("flag", "Siflags"));
        }
        let (host, _) = socket(cx, fd)?;
        let mut v = host_iovecs(mem, iovs, n)?;
        let msg = msghdr(&mut v)?;
        let r = loop {
            // SAFETY: `msg` points at `v`, host iovecs into checked ranges of linear memory,
            // all alive during the call.
            match host_result(unsafe { libc::sendmsg(host, &msg, libc::MSG_NOSIGNAL) }) {
                Err(e) if e == errno::from_host(libc::EINTR) => continue,
                r => break r?,
            }
        };
        mem.write_u32(so_len, u32::try_from(r).expect(MAX_RW))
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn sock_shutdown(vmctx: *mut VmCtx, fd: u32, how: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        if how & !sdflags::ALL != 0 {
            return Err(errno::invalid("flag", "Sdflags"));
        }
        let (host, _) = socket(cx, fd)?;
        let how = match how {
            sdflags::RD => libc::SHUT_RD,
            sdflags::WR => libc::SHUT_WR,
            sdflags::ALL => libc::SHUT_RDWR,
            _ => return Err(errno::INVAL),
        };
        // SAFETY: shuts down a socket fd the context owns; no memory is passed.
        if unsafe { libc::shutdown(host, how) } != 0 {
            return Err(errno::last());
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// Binds and listens on `addr` (`HOST:PORT`); the listening fd.
pub fn listen(addr: &str) -> Result<i32, String> {
    use std::os::fd::IntoRawFd;
    let l =
        std::net::TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr:?}: {e}"))?;
    Ok(l.into_raw_fd())
}
