//! `fd_*`: reading, writing and inspecting open file descriptors, as `wasmtime run` does:
//! stdio are streams (no seeking, no stat, file type "character device" only on a tty),
//! files keep their position in the runtime and use one buffer per call (the first
//! non-empty iovec), directories are read with `fd_readdir` only.

use std::ffi::CStr;

use kiln_abi::vmctx::VmCtx;

use super::constants::{advice, fdflags, filetype, fstflags, preopentype, rights, whence};
use std::sync::Mutex;

use super::ctx::{isatty, lock, with, with_shared, Desc, File, HostFd, WasiCtx};
use super::errno::{self, Errno};
use super::guest::{advance, Guest};

pub(crate) fn mode_filetype(mode: libc::mode_t) -> u8 {
    match mode & libc::S_IFMT {
        libc::S_IFREG => filetype::REGULAR_FILE,
        libc::S_IFDIR => filetype::DIRECTORY,
        libc::S_IFCHR => filetype::CHARACTER_DEVICE,
        libc::S_IFBLK => filetype::BLOCK_DEVICE,
        libc::S_IFLNK => filetype::SYMBOLIC_LINK,
        libc::S_IFSOCK => filetype::SOCKET_STREAM,
        _ => filetype::UNKNOWN,
    }
}

pub(crate) fn fstat(fd: i32) -> Result<libc::stat, Errno> {
    // SAFETY: fstat into a local.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return Err(errno::last());
        }
        Ok(st)
    }
}

/// The last host error (retrying is the caller's business).
fn host_err() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn retry(mut f: impl FnMut() -> isize) -> Result<usize, Errno> {
    loop {
        let n = f();
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = host_err();
        if e != libc::EINTR {
            return Err(errno::from_host(e));
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn file(cx: &WasiCtx, fd: u32) -> Result<&File, Errno> {
    match cx.entry(fd)? {
        Desc::File(f) => Ok(f),
        _ => Err(errno::BADF),
    }
}

fn file_mut(cx: &mut WasiCtx, fd: u32) -> Result<&mut File, Errno> {
    match cx.entry_mut(fd)? {
        Desc::File(f) => Ok(f),
        _ => Err(errno::BADF),
    }
}

/// A file for `fd_seek`/`fd_tell`: stdio is `ESPIPE`, anything else `EBADF`.
fn seekable(cx: &mut WasiCtx, fd: u32) -> Result<&mut File, Errno> {
    match cx.entry_mut(fd)? {
        Desc::File(f) => Ok(f),
        Desc::Stdin | Desc::Stdout | Desc::Stderr => Err(errno::SPIPE),
        _ => Err(errno::BADF),
    }
}

/// A file or directory (not stdio, not a socket).
fn fs_fd(cx: &WasiCtx, fd: u32) -> Result<&Desc, Errno> {
    match cx.entry(fd)? {
        d @ (Desc::File(_) | Desc::Dir { .. }) => Ok(d),
        _ => Err(errno::BADF),
    }
}

/// Writes all of `buf` to a stream (stdout, stderr, a socket).
pub(crate) fn write_all(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: `buf[done..]` is valid for reads.
        let n =
            retry(|| unsafe { libc::write(fd, buf[done..].as_ptr().cast(), buf.len() - done) })?;
        done += n;
    }
    Ok(done)
}

fn pwrite(fd: i32, buf: &[u8], off: u64, append: bool) -> Result<usize, Errno> {
    let iov = libc::iovec {
        iov_base: buf.as_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    if append {
        // SAFETY: one valid iovec.
        return match retry(|| unsafe { libc::pwritev2(fd, &iov, 1, -1, libc::RWF_APPEND) }) {
            Err(errno::NOSYS | errno::NOTSUP) => append_with_o_append(fd, buf),
            r => r,
        };
    }
    let off = i64::try_from(off).map_err(|_| errno::INVAL)?;
    // SAFETY: writes from `buf` (the iovec's one buffer), valid for reads.
    retry(|| unsafe { libc::pwrite(fd, iov.iov_base, iov.iov_len, off) })
}

/// An append write where `pwritev2(RWF_APPEND)` is missing (`ENOSYS` from qemu-user before
/// 8.0 and Linux before 4.6, `EOPNOTSUPP` before 4.16): `O_APPEND` set on the fd for one
/// `write(2)`, atomic at the end of the file as `RWF_APPEND` is, then taken off again.
/// The fd is the context's own and calls that write hold the context's lock, so no other
/// write sees the flag; the kernel's file offset moving does not matter, as every other
/// read and write is positioned by the runtime (`pread`/`pwrite`).
fn append_with_o_append(fd: i32, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: fcntl on an fd the context owns, write(2) from `buf`, valid for reads.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_APPEND) != 0 {
            return Err(errno::last());
        }
        let r = retry(|| libc::write(fd, buf.as_ptr().cast(), buf.len()));
        libc::fcntl(fd, libc::F_SETFL, flags);
        r
    }
}

fn pread(fd: i32, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
    let off = i64::try_from(off).map_err(|_| errno::INVAL)?;
    // SAFETY: `buf` is valid for writes.
    retry(|| unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), off) })
}

/// `fd_write` (`at` is `None`) and `fd_pwrite`.
fn write_impl(
    cx: &mut WasiCtx,
    mem: &Guest,
    fd: u32,
    iovs: u32,
    n: u32,
    at: Option<u64>,
) -> Result<u32, Errno> {
    let (buf, len) = mem.first_iovec(iovs, n)?;
    match cx.entry_mut(fd)? {
        Desc::File(f) => {
            let data = mem.bytes(buf, len)?;
            let w = pwrite(f.fd.0, data, at.unwrap_or(f.pos), f.append)?;
            if at.is_none() {
                f.pos = if f.append {
                    fstat(f.fd.0)?.st_size as u64
                } else {
                    f.pos.checked_add(w as u64).ok_or(errno::OVERFLOW)?
                };
            }
            Ok(count(w))
        }
        Desc::Stream { fd: h, .. } => {
            if at.is_some() {
                return Err(errno::SPIPE);
            }
            let h = h.0;
            let data = mem.bytes(buf, len)?;
            // SAFETY: `data` is valid for reads.
            Ok(count(retry(|| unsafe {
                libc::send(h, data.as_ptr().cast(), data.len(), libc::MSG_NOSIGNAL)
            })?))
        }
        Desc::Stdout | Desc::Stderr => {
            if at.is_some() {
                return Err(errno::SPIPE);
            }
            let host = if matches!(cx.entry(fd)?, Desc::Stdout) {
                1
            } else {
                2
            };
            Ok(count(write_all(host, mem.bytes(buf, len)?)?))
        }
        _ => Err(errno::BADF),
    }
}

pub(crate) extern "C" fn fd_write(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    nwritten: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let w = write_impl(cx, mem, fd, iovs, n, None)?;
        mem.write_u32(nwritten, w)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_pwrite(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    off: u64,
    nw: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let w = write_impl(cx, mem, fd, iovs, n, Some(off))?;
        mem.write_u32(nw, w)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// What `fd_read` reads from once the context is unlocked.
enum Source {
    /// The process's stdin (host fd 0, never closed by the runtime).
    Stdin,
    /// A duplicate of a socket's fd: another thread may close the guest fd meanwhile.
    Dup(HostFd),
}

/// Reads stdin and sockets, which may wait, without holding the context's lock (another
/// thread's output must not wait for this thread's input); files under it (their position
/// is the context's).
pub(crate) extern "C" fn fd_read(vmctx: *mut VmCtx, fd: u32, iovs: u32, n: u32, nread: u32) -> u32 {
    let call = |shared: &Mutex<WasiCtx>, mem: &Guest| -> Result<(), Errno> {
        let (buf, len) = mem.first_iovec(iovs, n)?;
        let mut cx = lock(shared);
        let source = match cx.entry_mut(fd)? {
            Desc::File(f) => {
                let out = mem.bytes(buf, len)?;
                let r = pread(f.fd.0, out, f.pos)?;
                f.pos = f.pos.checked_add(r as u64).ok_or(errno::OVERFLOW)?;
                return mem.write_u32(nread, count(r));
            }
            Desc::Stdin => Source::Stdin,
            Desc::Stream { fd: h, .. } => {
                // SAFETY: duplicating an fd the table owns.
                let dup = unsafe { libc::fcntl(h.0, libc::F_DUPFD_CLOEXEC, 0) };
                if dup < 0 {
                    return Err(errno::last());
                }
                Source::Dup(HostFd(dup))
            }
            _ => return Err(errno::BADF),
        };
        drop(cx);
        let h = match &source {
            Source::Stdin => 0,
            Source::Dup(d) => d.0,
        };
        let mut tmp = vec![0u8; len as usize];
        // SAFETY: reads at most `tmp.len()` bytes into `tmp`, valid for writes.
        let r = retry(|| unsafe { libc::read(h, tmp.as_mut_ptr().cast(), tmp.len()) })?;
        mem.write_bytes(buf, &tmp[..r])?;
        mem.write_u32(nread, count(r))
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with_shared(vmctx, call) }
}

pub(crate) extern "C" fn fd_pread(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    off: u64,
    nr: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let (buf, len) = mem.first_iovec(iovs, n)?;
        let r = match cx.entry(fd)? {
            Desc::File(f) => {
                let mut tmp = vec![0u8; len as usize];
                let r = pread(f.fd.0, &mut tmp, off)?;
                mem.write_bytes(buf, &tmp[..r])?;
                r
            }
            Desc::Stdin => return Err(errno::SPIPE),
            _ => return Err(errno::BADF),
        };
        mem.write_u32(nr, count(r))
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_seek(
    vmctx: *mut VmCtx,
    fd: u32,
    offset: u64,
    whence: u32,
    out: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if whence > whence::END {
            return Err(errno::invalid("enum", "Whence"));
        }
        let f = seekable(cx, fd)?;
        let offset = offset as i64;
        let pos = match whence {
            whence::SET if offset >= 0 => offset as u64,
            whence::SET => return Err(errno::INVAL),
            whence::CUR => f.pos.checked_add_signed(offset).ok_or(errno::INVAL)?,
            _ => (fstat(f.fd.0)?.st_size as u64)
                .checked_add_signed(offset)
                .ok_or(errno::INVAL)?,
        };
        f.pos = pos;
        mem.write_u64(out, pos)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_tell(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let pos = seekable(cx, fd)?.pos;
        mem.write_u64(out, pos)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_close(vmctx: *mut VmCtx, fd: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> { cx.remove(fd).map(drop) };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_sync(vmctx: *mut VmCtx, fd: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        let host = file(cx, fd)?.fd.0;
        // SAFETY: syncs an fd the context owns; no memory is passed.
        if unsafe { libc::fsync(host) } != 0 {
            return Err(errno::last());
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_datasync(vmctx: *mut VmCtx, fd: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        let host = file(cx, fd)?.fd.0;
        // SAFETY: syncs an fd the context owns; no memory is passed.
        if unsafe { libc::fdatasync(host) } != 0 {
            return Err(errno::last());
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_advise(
    vmctx: *mut VmCtx,
    fd: u32,
    offset: u64,
    len: u64,
    advice: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        let advice = match advice {
            advice::NORMAL => libc::POSIX_FADV_NORMAL,
            advice::SEQUENTIAL => libc::POSIX_FADV_SEQUENTIAL,
            advice::RANDOM => libc::POSIX_FADV_RANDOM,
            advice::WILLNEED => libc::POSIX_FADV_WILLNEED,
            advice::DONTNEED => libc::POSIX_FADV_DONTNEED,
            advice::NOREUSE => libc::POSIX_FADV_NOREUSE,
            _ => return Err(errno::invalid("enum", "Advice")),
        };
        let f = file(cx, fd)?;
        // Advice is a hint: ranges the host cannot express are ignored (as wasmtime).
        let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
            return Ok(());
        };
        // SAFETY: advice on an fd the context owns; no memory is passed.
        match unsafe { libc::posix_fadvise(f.fd.0, offset, len, advice) } {
            0 => Ok(()),
            e => Err(errno::from_host(e)),
        }
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// Not supported, as in wasmtime: `ENOTSUP` for a file, `EBADF` otherwise.
pub(crate) extern "C" fn fd_allocate(vmctx: *mut VmCtx, fd: u32, _offset: u64, _len: u64) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        file(cx, fd)?;
        Err(errno::NOTSUP)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_fdstat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let tty = |t: bool| {
            if t {
                filetype::CHARACTER_DEVICE
            } else {
                filetype::UNKNOWN
            }
        };
        let (ft, flags, base, inheriting) = match cx.entry(fd)? {
            Desc::Stdin => (tty(isatty(0)), 0, rights::FD_READ, rights::FD_READ),
            d @ (Desc::Stdout | Desc::Stderr) => {
                (tty(isatty(d.host())), 0, rights::FD_WRITE, rights::FD_WRITE)
            }
            Desc::Dir {
                preopen: Some(_), ..
            } => (
                filetype::DIRECTORY,
                0,
                rights::PREOPEN_BASE,
                rights::PREOPEN_INHERITING,
            ),
            Desc::Dir { .. } => (filetype::DIRECTORY, 0, rights::DIR, rights::DIR),
            Desc::File(f) => {
                let st = fstat(f.fd.0)?;
                let ft = match mode_filetype(st.st_mode) {
                    filetype::SOCKET_STREAM => filetype::UNKNOWN,
                    t => t,
                };
                // SAFETY: reads the status flags of an fd the context owns.
                let fl = unsafe { libc::fcntl(f.fd.0, libc::F_GETFL) };
                let mut flags = 0u32;
                if fl & libc::O_DSYNC != 0 {
                    flags |= fdflags::DSYNC;
                }
                if fl & libc::O_SYNC == libc::O_SYNC {
                    flags |= fdflags::SYNC | fdflags::RSYNC;
                }
                if f.append {
                    flags |= fdflags::APPEND;
                }
                if f.nonblock {
                    flags |= fdflags::NONBLOCK;
                }
                let mut r = rights::ALL;
                if !f.read {
                    r &= !(rights::FD_READ | rights::FD_READDIR);
                }
                if !f.write {
                    r &= !rights::FD_WRITE;
                }
                (ft, flags, r, r)
            }
            Desc::Listener { .. } => (filetype::SOCKET_STREAM, 0, rights::LISTENER, rights::STREAM),
            Desc::Stream { nonblock, .. } => (
                filetype::SOCKET_STREAM,
                if *nonblock { fdflags::NONBLOCK } else { 0 },
                rights::STREAM,
                rights::STREAM,
            ),
        };
        let mut b = [0u8; 24];
        b[0] = ft;
        let flags = u16::try_from(flags).expect("fdflags::ALL fits the 16-bit fs_flags");
        b[2..4].copy_from_slice(&flags.to_le_bytes());
        b[8..16].copy_from_slice(&base.to_le_bytes());
        b[16..24].copy_from_slice(&inheriting.to_le_bytes());
        mem.structure(out, 24, 8)?.write(0, &b);
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_fdstat_set_flags(vmctx: *mut VmCtx, fd: u32, flags: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        if flags & !fdflags::ALL != 0 {
            return Err(errno::invalid("flag", "Fdflags"));
        }
        if let Desc::Stream { nonblock, fd: h } = cx.entry_mut(fd)? {
            return super::sock::set_nonblock(h.0, nonblock, flags & fdflags::NONBLOCK != 0);
        }
        let f = file_mut(cx, fd)?;
        if flags & (fdflags::DSYNC | fdflags::SYNC | fdflags::RSYNC) != 0 {
            return Err(errno::INVAL);
        }
        f.append = flags & fdflags::APPEND != 0;
        f.nonblock = flags & fdflags::NONBLOCK != 0;
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// Rights are not enforced beyond what the host enforces, and cannot be changed: as in
/// wasmtime, `ENOTSUP` for a file or directory, `EBADF` otherwise.
pub(crate) extern "C" fn fd_fdstat_set_rights(
    vmctx: *mut VmCtx,
    fd: u32,
    base: u64,
    inheriting: u64,
) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        if (base | inheriting) & !rights::ALL != 0 {
            return Err(errno::invalid("flag", "Rights"));
        }
        fs_fd(cx, fd)?;
        Err(errno::NOTSUP)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_prestat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let Desc::Dir {
            preopen: Some(name),
            ..
        } = cx.entry(fd)?
        else {
            return Err(errno::BADF);
        };
        let out = mem.structure(out, 8, 4)?;
        out.set_u32(0, u32::from(preopentype::DIR));
        out.set_u32(4, count(name.len()));
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_prestat_dir_name(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let Desc::Dir {
            preopen: Some(name),
            ..
        } = cx.entry(fd)?
        else {
            return Err(errno::NOTDIR);
        };
        if (len as usize) < name.len() {
            return Err(errno::NAMETOOLONG);
        }
        mem.write_bytes(path, name)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// A `filestat` (64 bytes) from a host `stat`.
pub(crate) fn filestat_bytes(st: &libc::stat) -> [u8; 64] {
    let mut b = [0u8; 64];
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    b[0..8].copy_from_slice(&st.st_dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.st_ino.to_le_bytes());
    b[16] = match mode_filetype(st.st_mode) {
        filetype::SOCKET_STREAM => filetype::UNKNOWN,
        t => t,
    };
    #[allow(
        clippy::useless_conversion,
        reason = "`nlink_t` is 64 bits on x86-64, 32 on AArch64"
    )]
    let nlink = u64::from(st.st_nlink);
    b[24..32].copy_from_slice(&nlink.to_le_bytes());
    b[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    b[40..48].copy_from_slice(&ns(st.st_atime, st.st_atime_nsec).to_le_bytes());
    b[48..56].copy_from_slice(&ns(st.st_mtime, st.st_mtime_nsec).to_le_bytes());
    b[56..64].copy_from_slice(&ns(st.st_ctime, st.st_ctime_nsec).to_le_bytes());
    b
}

pub(crate) fn write_filestat(mem: &Guest, out: u32, b: &[u8; 64]) -> Result<(), Errno> {
    mem.structure(out, 64, 8)?.write(0, b);
    Ok(())
}

/// The `filestat` of `fd` (stdio's is all zeros, a tty's a character device).
pub(crate) fn fd_filestat(cx: &WasiCtx, fd: u32) -> Result<[u8; 64], Errno> {
    Ok(match cx.entry(fd)? {
        d @ (Desc::Stdin | Desc::Stdout | Desc::Stderr) => {
            let mut b = [0u8; 64];
            if isatty(d.host()) {
                b[16] = filetype::CHARACTER_DEVICE;
            }
            b
        }
        d => filestat_bytes(&fstat(d.host())?),
    })
}

pub(crate) extern "C" fn fd_filestat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        write_filestat(mem, out, &fd_filestat(cx, fd)?)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_filestat_set_size(vmctx: *mut VmCtx, fd: u32, size: u64) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        let f = file(cx, fd)?;
        let size = i64::try_from(size).map_err(|_| errno::INVAL)?;
        // SAFETY: resizes a file the context owns; no memory is passed.
        if unsafe { libc::ftruncate(f.fd.0, size) } != 0 {
            return Err(errno::last());
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// The two `timespec`s of `utimensat` for WASI times and `fstflags`.
pub(crate) fn timespecs(atim: u64, mtim: u64, flags: u32) -> Result<[libc::timespec; 2], Errno> {
    if flags & !fstflags::ALL != 0 {
        return Err(errno::invalid("flag", "Fstflags"));
    }
    let one = |t: u64, set: bool, now: bool| {
        if set && now {
            return Err(errno::INVAL);
        }
        Ok(if set {
            libc::timespec {
                tv_sec: (t / 1_000_000_000) as i64,
                tv_nsec: (t % 1_000_000_000) as i64,
            }
        } else {
            libc::timespec {
                tv_sec: 0,
                tv_nsec: if now {
                    libc::UTIME_NOW
                } else {
                    libc::UTIME_OMIT
                },
            }
        })
    };
    Ok([
        one(
            atim,
            flags & fstflags::ATIM != 0,
            flags & fstflags::ATIM_NOW != 0,
        )?,
        one(
            mtim,
            flags & fstflags::MTIM != 0,
            flags & fstflags::MTIM_NOW != 0,
        )?,
    ])
}

pub(crate) extern "C" fn fd_filestat_set_times(
    vmctx: *mut VmCtx,
    fd: u32,
    atim: u64,
    mtim: u64,
    flags: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        let ts = timespecs(atim, mtim, flags)?;
        // A preopen is an `O_PATH` fd: `EBADF`, as in wasmtime.
        let host = fs_fd(cx, fd)?.host();
        // SAFETY: `ts` is the two timespecs `futimens` reads.
        if unsafe { libc::futimens(host, ts.as_ptr()) } != 0 {
            return Err(errno::last());
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn fd_renumber(vmctx: *mut VmCtx, from: u32, to: u32) -> u32 {
    let call = |cx: &mut WasiCtx, _: &Guest| -> Result<(), Errno> {
        cx.entry(to)?;
        cx.entry(from)?;
        if from != to {
            let d = cx.remove(from)?;
            cx.free.remove(&to);
            cx.fds.insert(to, d);
        }
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// Directory entries of `dir` as (name, inode, WASI file type): `.` and `..` first (both
/// with the directory's own inode, as wasmtime), then the host's order.
fn list_dir(dir: i32) -> Result<Vec<(Vec<u8>, u64, u8)>, Errno> {
    // SAFETY: a fresh fd for the directory, so nothing is shared with the guest's fd.
    let fd = unsafe {
        libc::openat(
            dir,
            c".".as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(errno::last());
    }
    let ino = fstat(fd).map(|s| s.st_ino).unwrap_or(0);
    // SAFETY: fdopendir takes ownership of `fd`; closedir releases both.
    let d = unsafe { libc::fdopendir(fd) };
    if d.is_null() {
        // SAFETY: still ours.
        unsafe { libc::close(fd) };
        return Err(errno::last());
    }
    let mut v = vec![
        (b".".to_vec(), ino, filetype::DIRECTORY),
        (b"..".to_vec(), ino, filetype::DIRECTORY),
    ];
    loop {
        // SAFETY: `d` is an open directory stream.
        let ent = unsafe { libc::readdir64(d) };
        if ent.is_null() {
            break;
        }
        // SAFETY: readdir returned a valid entry.
        let (name, ino, ty) = unsafe {
            let e = &*ent;
            (
                CStr::from_ptr(e.d_name.as_ptr()).to_bytes().to_vec(),
                e.d_ino,
                e.d_type,
            )
        };
        if name == b"." || name == b".." {
            continue;
        }
        let ft = match ty {
            libc::DT_REG => filetype::REGULAR_FILE,
            libc::DT_DIR => filetype::DIRECTORY,
            libc::DT_LNK => filetype::SYMBOLIC_LINK,
            libc::DT_CHR => filetype::CHARACTER_DEVICE,
            libc::DT_BLK => filetype::BLOCK_DEVICE,
            libc::DT_SOCK => filetype::SOCKET_STREAM,
            _ => filetype::UNKNOWN,
        };
        v.push((name, ino, ft));
    }
    // SAFETY: closing the stream we opened.
    unsafe { libc::closedir(d) };
    Ok(v)
}

pub(crate) extern "C" fn fd_readdir(
    vmctx: *mut VmCtx,
    fd: u32,
    buf: u32,
    len: u32,
    cookie: u64,
    used: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let Desc::Dir { fd: host, .. } = cx.entry(fd)? else {
            return Err(errno::BADF);
        };
        let entries = list_dir(host.0)?;
        // Entries are written one piece at a time, each truncated to what is left.
        let mut at = buf;
        let mut cap = len;
        let mut put = |src: &[u8], cap: &mut u32| -> Result<bool, Errno> {
            let k = (*cap).min(count(src.len()));
            mem.write_bytes(at, &src[..k as usize])?;
            at = advance(at, k.into())?;
            *cap -= k;
            Ok(*cap == 0)
        };
        let skip = usize::try_from(cookie).unwrap_or(usize::MAX);
        for (i, (name, ino, ft)) in entries.iter().enumerate().skip(skip) {
            let mut d = [0u8; 24];
            d[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
            d[8..16].copy_from_slice(&ino.to_le_bytes());
            d[16..20].copy_from_slice(&count(name.len()).to_le_bytes());
            d[20] = *ft;
            if put(&d, &mut cap)? || put(name, &mut cap)? {
                return mem.write_u32(used, len);
            }
        }
        mem.write_u32(used, len - cap)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}
