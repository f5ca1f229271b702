//! `path_*`: paths relative to a directory fd, confined to it.
//!
//! SANDBOX-CRITICAL (two reviews please). Every lookup goes through `openat2(2)` with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` relative to the directory fd: the kernel
//! refuses absolute paths, `..` above the directory and symlinks leading out of it
//! (`EXDEV`, reported as `EPERM` as wasmtime does). Operations on a final component
//! (mkdir, unlink, rename, ...) first open its parent that way, then use the `*at` call
//! on the last component, which is never `..` and never followed.

use std::ffi::CString;

use kiln_abi::vmctx::VmCtx;

use super::errno::{self, Errno};
use super::fd::write_filestat;
use super::guest::Guest;
use super::{with, FdEntry, FdKind, WasiCtx};

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
const SYS_OPENAT2: libc::c_long = 437;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_BENEATH: u64 = 0x08;

/// `openat2(dir, path, flags, mode)` confined beneath `dir`.
pub(crate) fn open_beneath(dir: i32, path: &[u8], flags: i32, mode: u32) -> Result<i32, Errno> {
    let c = CString::new(path).map_err(|_| errno::INVAL)?;
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u64,
        mode: u64::from(mode),
        resolve: RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    loop {
        // SAFETY: a plain syscall with valid pointers.
        let r = unsafe {
            libc::syscall(
                SYS_OPENAT2,
                dir,
                c.as_ptr(),
                &how as *const OpenHow,
                size_of::<OpenHow>(),
            )
        };
        if r >= 0 {
            return Ok(r as i32);
        }
        match std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
        {
            libc::EAGAIN | libc::EINTR => continue,
            libc::EXDEV => return Err(errno::PERM),
            e => return Err(errno::from_host(e)),
        }
    }
}

/// An owned host fd, closed on drop.
struct Owned(i32);
impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own it.
        unsafe { libc::close(self.0) };
    }
}

/// Splits `path` into its parent (opened beneath `dir`) and last component.
fn parent_of(dir: i32, path: &[u8]) -> Result<(Owned, CString), Errno> {
    if path.is_empty() {
        return Err(errno::NOENT);
    }
    if path.first() == Some(&b'/') {
        return Err(errno::PERM);
    }
    let trimmed = {
        let mut p = path;
        while p.len() > 1 && p.last() == Some(&b'/') {
            p = &p[..p.len() - 1];
        }
        p
    };
    let (parent, base): (&[u8], &[u8]) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (b".", trimmed),
    };
    let parent = if parent.is_empty() { &b"."[..] } else { parent };
    // `x/..` or `.`: resolve the whole path as the directory and use "." in it.
    let (parent_path, base): (Vec<u8>, &[u8]) = if base == b".." || base == b"." {
        (trimmed.to_vec(), b".")
    } else {
        (parent.to_vec(), base)
    };
    let p = open_beneath(dir, &parent_path, libc::O_PATH | libc::O_DIRECTORY, 0)?;
    Ok((Owned(p), CString::new(base).map_err(|_| errno::INVAL)?))
}

fn dir_entry(cx: &WasiCtx, fd: u32) -> Result<i32, Errno> {
    let e = cx.entry(fd)?;
    if e.kind != FdKind::Dir {
        return Err(errno::NOTDIR);
    }
    Ok(e.host)
}

fn read_path(mem: &Guest, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    let b = mem.bytes(ptr, len)?.to_vec();
    if std::str::from_utf8(&b).is_err() {
        return Err(errno::ILSEQ);
    }
    Ok(b)
}

fn check(r: libc::c_int) -> Result<(), Errno> {
    if r != 0 {
        return Err(errno::last());
    }
    Ok(())
}

const OFLAGS_CREAT: u32 = 1;
const OFLAGS_DIRECTORY: u32 = 2;
const OFLAGS_EXCL: u32 = 4;
const OFLAGS_TRUNC: u32 = 8;
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) extern "C" fn path_open(
    vmctx: *mut VmCtx,
    fd: u32,
    dirflags: u32,
    path: u32,
    path_len: u32,
    oflags: u32,
    rights_base: u64,
    rights_inheriting: u64,
    fdflags: u32,
    opened: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let path = read_path(mem, path, path_len)?;
            mem.check_struct(opened, 4, 4)?;
            use super::fd::*;
            let read = rights_base & (RIGHT_FD_READ | RIGHT_FD_READDIR) != 0;
            let write = rights_base
                & (RIGHT_FD_WRITE | RIGHT_FD_ALLOCATE | RIGHT_FD_FILESTAT_SET_SIZE)
                != 0
                || fdflags & 1 != 0;
            let mut flags = match (read, write) {
                (_, false) => libc::O_RDONLY,
                (false, true) => libc::O_WRONLY,
                (true, true) => libc::O_RDWR,
            };
            if oflags & OFLAGS_CREAT != 0 {
                flags |= libc::O_CREAT;
            }
            if oflags & OFLAGS_DIRECTORY != 0 {
                flags |= libc::O_DIRECTORY;
            }
            if oflags & OFLAGS_EXCL != 0 {
                flags |= libc::O_EXCL;
            }
            if oflags & OFLAGS_TRUNC != 0 {
                flags |= libc::O_TRUNC;
            }
            if dirflags & LOOKUP_SYMLINK_FOLLOW == 0 {
                flags |= libc::O_NOFOLLOW;
            }
            if fdflags & 1 != 0 {
                flags |= libc::O_APPEND;
            }
            if fdflags & 2 != 0 {
                flags |= libc::O_DSYNC;
            }
            if fdflags & 4 != 0 {
                flags |= libc::O_NONBLOCK;
            }
            if fdflags & (8 | 16) != 0 {
                flags |= libc::O_SYNC;
            }
            if path.first() == Some(&b'/') {
                return Err(errno::PERM);
            }
            let host = Owned(open_beneath(dir, &path, flags, 0o666)?);
            let mut st: libc::stat = std::mem::zeroed();
            check(libc::fstat(host.0, &mut st))?;
            let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
            let kind = if is_dir { FdKind::Dir } else { FdKind::File };
            let e = FdEntry {
                host: host.0,
                kind,
                preopen: None,
                rights_base: if is_dir {
                    rights_base
                } else {
                    rights_base & RIGHTS_FILE
                },
                rights_inheriting,
            };
            std::mem::forget(host);
            let new = cx.insert(e)?;
            mem.write_u32(opened, new)
        })
    }
}

pub(crate) extern "C" fn path_filestat_get(
    vmctx: *mut VmCtx,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let path = read_path(mem, path, path_len)?;
            let mut st: libc::stat = std::mem::zeroed();
            if flags & LOOKUP_SYMLINK_FOLLOW != 0 {
                let f = Owned(open_beneath(dir, &path, libc::O_PATH, 0)?);
                check(libc::fstat(f.0, &mut st))?;
            } else {
                let (p, base) = parent_of(dir, &path)?;
                check(libc::fstatat(
                    p.0,
                    base.as_ptr(),
                    &mut st,
                    libc::AT_SYMLINK_NOFOLLOW,
                ))?;
            }
            write_filestat(mem, out, &st)
        })
    }
}

pub(crate) extern "C" fn path_create_directory(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let (p, base) = parent_of(dir, &read_path(mem, path, len)?)?;
            check(libc::mkdirat(p.0, base.as_ptr(), 0o777))
        })
    }
}

pub(crate) extern "C" fn path_remove_directory(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let (p, base) = parent_of(dir, &read_path(mem, path, len)?)?;
            check(libc::unlinkat(p.0, base.as_ptr(), libc::AT_REMOVEDIR))
        })
    }
}

pub(crate) extern "C" fn path_unlink_file(vmctx: *mut VmCtx, fd: u32, path: u32, len: u32) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let path = read_path(mem, path, len)?;
            if path.last() == Some(&b'/') {
                return Err(errno::NOTDIR);
            }
            let (p, base) = parent_of(dir, &path)?;
            check(libc::unlinkat(p.0, base.as_ptr(), 0))
        })
    }
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) extern "C" fn path_rename(
    vmctx: *mut VmCtx,
    fd: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let (d1, d2) = (dir_entry(cx, fd)?, dir_entry(cx, new_fd)?);
            let (p1, b1) = parent_of(d1, &read_path(mem, old, old_len)?)?;
            let (p2, b2) = parent_of(d2, &read_path(mem, new, new_len)?)?;
            check(libc::renameat(p1.0, b1.as_ptr(), p2.0, b2.as_ptr()))
        })
    }
}

pub(crate) extern "C" fn path_symlink(
    vmctx: *mut VmCtx,
    old: u32,
    old_len: u32,
    fd: u32,
    new: u32,
    new_len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let target = read_path(mem, old, old_len)?;
            // An absolute target could never resolve inside the sandbox.
            if target.first() == Some(&b'/') {
                return Err(errno::PERM);
            }
            let target = CString::new(target).map_err(|_| errno::INVAL)?;
            let (p, base) = parent_of(dir, &read_path(mem, new, new_len)?)?;
            check(libc::symlinkat(target.as_ptr(), p.0, base.as_ptr()))
        })
    }
}

pub(crate) extern "C" fn path_readlink(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    path_len: u32,
    buf: u32,
    buf_len: u32,
    used: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let dir = dir_entry(cx, fd)?;
            let (p, base) = parent_of(dir, &read_path(mem, path, path_len)?)?;
            mem.check_struct(used, 4, 4)?;
            let out = mem.bytes(buf, buf_len)?;
            let mut tmp = vec![0u8; 4096];
            let n = libc::readlinkat(p.0, base.as_ptr(), tmp.as_mut_ptr().cast(), tmp.len());
            if n < 0 {
                return Err(errno::last());
            }
            let n = (n as usize).min(out.len());
            out[..n].copy_from_slice(&tmp[..n]);
            mem.write_u32(used, n as u32)
        })
    }
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) extern "C" fn path_link(
    vmctx: *mut VmCtx,
    old_fd: u32,
    _old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> u32 {
    // SAFETY: as above.
    unsafe {
        with(vmctx, |cx, mem| {
            let (d1, d2) = (dir_entry(cx, old_fd)?, dir_entry(cx, new_fd)?);
            let (p1, b1) = parent_of(d1, &read_path(mem, old, old_len)?)?;
            let (p2, b2) = parent_of(d2, &read_path(mem, new, new_len)?)?;
            check(libc::linkat(p1.0, b1.as_ptr(), p2.0, b2.as_ptr(), 0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_beneath() {
        let tmp = std::env::temp_dir().join(format!("kiln-path-{}", std::process::id()));
        std::fs::create_dir_all(tmp.join("a/b")).unwrap();
        std::fs::write(tmp.join("a/f"), b"x").unwrap();
        let _ = std::os::unix::fs::symlink("/etc", tmp.join("a/out"));
        let c = CString::new(tmp.join("a").to_str().unwrap()).unwrap();
        // SAFETY: opening a test directory.
        let dir = unsafe { libc::open(c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) };
        assert!(dir >= 0);
        let ok =
            |p: &[u8]| open_beneath(dir, p, libc::O_PATH, 0).map(|fd| unsafe { libc::close(fd) });
        assert_eq!(ok(b"f"), Ok(0));
        assert_eq!(ok(b"b/../f"), Ok(0));
        assert_eq!(ok(b"b/./..//f"), Ok(0));
        assert_eq!(ok(b"../a/f"), Err(errno::PERM));
        assert_eq!(ok(b"/etc/passwd"), Err(errno::PERM));
        assert_eq!(ok(b"out/passwd"), Err(errno::PERM));
        assert_eq!(ok(b"missing"), Err(errno::NOENT));
        assert!(parent_of(dir, b"b/x").is_ok());
        assert_eq!(parent_of(dir, b"../x").err(), Some(errno::PERM));
        assert_eq!(parent_of(dir, b"/x").err(), Some(errno::PERM));
        // SAFETY: closing our fd.
        unsafe { libc::close(dir) };
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
