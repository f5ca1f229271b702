//! `fd_*`: reading, writing and inspecting open file descriptors.

use std::ffi::CStr;

use kiln_abi::vmctx::VmCtx;

use super::errno::{self, Errno};
use super::guest::Guest;
use super::{filetype, with, FdEntry, FdKind, WasiCtx};

pub const RIGHT_FD_DATASYNC: u64 = 1 << 0;
pub const RIGHT_FD_READ: u64 = 1 << 1;
pub const RIGHT_FD_SEEK: u64 = 1 << 2;
pub const RIGHT_FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
pub const RIGHT_FD_SYNC: u64 = 1 << 4;
pub const RIGHT_FD_TELL: u64 = 1 << 5;
pub const RIGHT_FD_WRITE: u64 = 1 << 6;
pub const RIGHT_FD_ADVISE: u64 = 1 << 7;
pub const RIGHT_FD_ALLOCATE: u64 = 1 << 8;
pub const RIGHT_FD_READDIR: u64 = 1 << 14;
pub const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
pub const RIGHT_FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
pub const RIGHT_FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
pub const RIGHT_POLL_FD_READWRITE: u64 = 1 << 27;
/// Every right preview1 defines.
pub const RIGHTS_ALL: u64 = (1 << 30) - 1;

pub const RIGHTS_STDIO: u64 = RIGHTS_ALL;
pub const RIGHTS_FILE: u64 = RIGHTS_ALL;
pub const RIGHTS_DIR_BASE: u64 = RIGHTS_ALL;
pub const RIGHTS_DIR_INHERITING: u64 = RIGHTS_ALL;

/// The WASI file type of a host fd.
pub(crate) fn host_filetype(fd: i32) -> Result<u8, Errno> {
    // SAFETY: fstat into a local.
    let st = unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd, &mut st) != 0 {
            return Err(errno::last());
        }
        st
    };
    Ok(mode_filetype(st.st_mode))
}

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

fn io_entry(cx: &WasiCtx, fd: u32) -> Result<&FdEntry, Errno> {
    let e = cx.entry(fd)?;
    if e.kind == FdKind::Dir {
        return Err(errno::BADF);
    }
    Ok(e)
}

/// Host iovecs for guest iovecs (already bounds-checked).
fn host_iovecs(mem: &Guest, iovs: u32, count: u32) -> Result<Vec<libc::iovec>, Errno> {
    let v = mem.iovecs(iovs, count)?;
    let mut out = Vec::with_capacity(v.len());
    for (buf, len) in v {
        let b = mem.bytes(buf, len)?;
        out.push(libc::iovec {
            iov_base: b.as_mut_ptr().cast(),
            iov_len: b.len(),
        });
    }
    Ok(out)
}

fn retry(mut f: impl FnMut() -> isize) -> Result<usize, Errno> {
    loop {
        let n = f();
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO);
        if e != libc::EINTR {
            return Err(errno::from_host(e));
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

pub(crate) extern "C" fn fd_write(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    nwritten: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            mem.check_struct(nwritten, 4, 4)?;
            let v = host_iovecs(mem, iovs, n)?;
            let w = retry(|| libc::writev(e.host, v.as_ptr(), v.len().min(1024) as i32))?;
            mem.write_u32(nwritten, count(w))
        })
    }
}

pub(crate) extern "C" fn fd_read(vmctx: *mut VmCtx, fd: u32, iovs: u32, n: u32, nread: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            mem.check_struct(nread, 4, 4)?;
            let v = host_iovecs(mem, iovs, n)?;
            let r = retry(|| libc::readv(e.host, v.as_ptr(), v.len().min(1024) as i32))?;
            mem.write_u32(nread, count(r))
        })
    }
}

pub(crate) extern "C" fn fd_pwrite(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    off: u64,
    nw: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            mem.check_struct(nw, 4, 4)?;
            let off = i64::try_from(off).map_err(|_| errno::INVAL)?;
            let v = host_iovecs(mem, iovs, n)?;
            let w = retry(|| libc::pwritev(e.host, v.as_ptr(), v.len().min(1024) as i32, off))?;
            mem.write_u32(nw, count(w))
        })
    }
}

pub(crate) extern "C" fn fd_pread(
    vmctx: *mut VmCtx,
    fd: u32,
    iovs: u32,
    n: u32,
    off: u64,
    nr: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            mem.check_struct(nr, 4, 4)?;
            let off = i64::try_from(off).map_err(|_| errno::INVAL)?;
            let v = host_iovecs(mem, iovs, n)?;
            let r = retry(|| libc::preadv(e.host, v.as_ptr(), v.len().min(1024) as i32, off))?;
            mem.write_u32(nr, count(r))
        })
    }
}

pub(crate) extern "C" fn fd_seek(
    vmctx: *mut VmCtx,
    fd: u32,
    offset: u64,
    whence: u32,
    out: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            let whence = match whence {
                0 => libc::SEEK_SET,
                1 => libc::SEEK_CUR,
                2 => libc::SEEK_END,
                _ => return Err(errno::INVAL),
            };
            mem.check_struct(out, 8, 8)?;
            let r = libc::lseek(e.host, offset as i64, whence);
            if r < 0 {
                return Err(errno::last());
            }
            mem.write_u64(out, r as u64)
        })
    }
}

pub(crate) extern "C" fn fd_tell(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = io_entry(cx, fd)?;
            mem.check_struct(out, 8, 8)?;
            let r = libc::lseek(e.host, 0, libc::SEEK_CUR);
            if r < 0 {
                return Err(errno::last());
            }
            mem.write_u64(out, r as u64)
        })
    }
}

pub(crate) extern "C" fn fd_close(vmctx: *mut VmCtx, fd: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            cx.entry(fd)?;
            cx.fds[fd as usize] = None;
            Ok(())
        })
    }
}

pub(crate) extern "C" fn fd_sync(vmctx: *mut VmCtx, fd: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            let e = cx.entry(fd)?;
            if libc::fsync(e.host) != 0 {
                return Err(errno::last());
            }
            Ok(())
        })
    }
}

pub(crate) extern "C" fn fd_datasync(vmctx: *mut VmCtx, fd: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            let e = cx.entry(fd)?;
            if libc::fdatasync(e.host) != 0 {
                return Err(errno::last());
            }
            Ok(())
        })
    }
}

/// WASI fdflags from host open flags.
fn fdflags(host: i32) -> u16 {
    // SAFETY: F_GETFL has no side effects.
    let fl = unsafe { libc::fcntl(host, libc::F_GETFL) };
    if fl < 0 {
        return 0;
    }
    let mut f = 0;
    if fl & libc::O_APPEND != 0 {
        f |= 1;
    }
    if fl & libc::O_DSYNC != 0 {
        f |= 2;
    }
    if fl & libc::O_NONBLOCK != 0 {
        f |= 4;
    }
    if fl & libc::O_SYNC == libc::O_SYNC {
        f |= 16;
    }
    f
}

pub(crate) extern "C" fn fd_fdstat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = cx.entry(fd)?;
            mem.check_struct(out, 24, 8)?;
            let ft = host_filetype(e.host)?;
            let b = mem.bytes(out, 24)?;
            b.fill(0);
            b[0] = ft;
            b[2..4].copy_from_slice(&fdflags(e.host).to_le_bytes());
            b[8..16].copy_from_slice(&e.rights_base.to_le_bytes());
            b[16..24].copy_from_slice(&e.rights_inheriting.to_le_bytes());
            Ok(())
        })
    }
}

pub(crate) extern "C" fn fd_fdstat_set_flags(vmctx: *mut VmCtx, fd: u32, flags: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            let e = cx.entry(fd)?;
            let fl = libc::fcntl(e.host, libc::F_GETFL);
            if fl < 0 {
                return Err(errno::last());
            }
            let mut nfl = fl & !(libc::O_APPEND | libc::O_NONBLOCK);
            if flags & 1 != 0 {
                nfl |= libc::O_APPEND;
            }
            if flags & 4 != 0 {
                nfl |= libc::O_NONBLOCK;
            }
            if flags & !(1 | 4) != 0 {
                return Err(errno::NOTSUP);
            }
            if libc::fcntl(e.host, libc::F_SETFL, nfl) != 0 {
                return Err(errno::last());
            }
            Ok(())
        })
    }
}

pub(crate) extern "C" fn fd_prestat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = cx.entry(fd)?;
            let name = e.preopen.as_ref().ok_or(errno::BADF)?;
            mem.check_struct(out, 8, 4)?;
            mem.write_u32(out, 0)?;
            mem.write_u32(out + 4, count(name.len()))
        })
    }
}

pub(crate) extern "C" fn fd_prestat_dir_name(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = cx.entry(fd)?;
            let name = e.preopen.as_ref().ok_or(errno::BADF)?;
            if (len as usize) < name.len() {
                return Err(errno::NAMETOOLONG);
            }
            mem.bytes(path, count(name.len()))?.copy_from_slice(name);
            Ok(())
        })
    }
}

/// Writes a `filestat` (64 bytes) from a host `stat`.
pub(crate) fn write_filestat(mem: &Guest, out: u32, st: &libc::stat) -> Result<(), Errno> {
    mem.check_struct(out, 64, 8)?;
    let b = mem.bytes(out, 64)?;
    b.fill(0);
    let ns = |s: i64, n: i64| {
        (s as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(n as u64)
    };
    b[0..8].copy_from_slice(&st.st_dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.st_ino.to_le_bytes());
    b[16] = mode_filetype(st.st_mode);
    b[24..32].copy_from_slice(&st.st_nlink.to_le_bytes());
    b[32..40].copy_from_slice(&(st.st_size as u64).to_le_bytes());
    b[40..48].copy_from_slice(&ns(st.st_atime, st.st_atime_nsec).to_le_bytes());
    b[48..56].copy_from_slice(&ns(st.st_mtime, st.st_mtime_nsec).to_le_bytes());
    b[56..64].copy_from_slice(&ns(st.st_ctime, st.st_ctime_nsec).to_le_bytes());
    Ok(())
}

pub(crate) extern "C" fn fd_filestat_get(vmctx: *mut VmCtx, fd: u32, out: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = cx.entry(fd)?;
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstat(e.host, &mut st) != 0 {
                return Err(errno::last());
            }
            write_filestat(mem, out, &st)
        })
    }
}

pub(crate) extern "C" fn fd_filestat_set_size(vmctx: *mut VmCtx, fd: u32, size: u64) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            let e = io_entry(cx, fd)?;
            let size = i64::try_from(size).map_err(|_| errno::INVAL)?;
            if libc::ftruncate(e.host, size) != 0 {
                return Err(errno::last());
            }
            Ok(())
        })
    }
}

pub(crate) extern "C" fn fd_renumber(vmctx: *mut VmCtx, from: u32, to: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, _| {
            cx.entry(from)?;
            cx.entry(to)?;
            if from != to {
                let e = cx.fds[from as usize].take();
                cx.fds[to as usize] = e;
            }
            Ok(())
        })
    }
}

/// Directory entries of `dir` as (name, inode, WASI file type): `.` and `..` first.
fn list_dir(dir: i32) -> Result<Vec<(Vec<u8>, u64, u8)>, Errno> {
    // SAFETY: a fresh fd for the directory, so the guest's fd offset is untouched.
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
    // SAFETY: fdopendir takes ownership of `fd`; closedir releases both.
    let d = unsafe { libc::fdopendir(fd) };
    if d.is_null() {
        // SAFETY: still ours.
        unsafe { libc::close(fd) };
        return Err(errno::last());
    }
    let mut v = Vec::new();
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
    v.sort_by_key(|(n, _, _)| match n.as_slice() {
        b"." => 0,
        b".." => 1,
        _ => 2,
    });
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
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let e = cx.entry(fd)?;
            if e.kind != FdKind::Dir {
                return Err(errno::NOTDIR);
            }
            mem.check_struct(used, 4, 4)?;
            let out = mem.bytes(buf, len)?;
            let entries = list_dir(e.host)?;
            let mut n = 0usize;
            for (i, (name, ino, ft)) in entries.iter().enumerate().skip(cookie as usize) {
                let mut d = [0u8; 24];
                d[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
                d[8..16].copy_from_slice(&ino.to_le_bytes());
                d[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
                d[20] = *ft;
                for src in [&d[..], &name[..]] {
                    let k = src.len().min(out.len() - n);
                    out[n..n + k].copy_from_slice(&src[..k]);
                    n += k;
                }
                if n == out.len() {
                    break;
                }
            }
            mem.write_u32(used, n as u32)
        })
    }
}
