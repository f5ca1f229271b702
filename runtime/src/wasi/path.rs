//! `path_*`: paths relative to a directory fd, confined to it.
//!
//! SANDBOX-CRITICAL (two reviews please). Every lookup goes through
//! `beneath::open_beneath` relative to the directory fd (`openat2(2)`
//! with `RESOLVE_BENEATH`, or its own walk where the kernel has none), which refuses
//! absolute paths, `..` above the directory and symlinks leading out of it (`EPERM`, as
//! wasmtime reports them). Operations on a final component
//! (mkdir, unlink, rename, ...) first open its parent that way, then use the `*at` call
//! on the last component, which is never `..` and never followed.

use std::ffi::{CStr, CString};

use kiln_abi::vmctx::VmCtx;

use super::constants::{fdflags, lookupflags, oflags, rights};
use super::ctx::{with, Desc, File, HostFd, WasiCtx};
use super::errno::{self, Errno};
use super::fd::{filestat_bytes, write_filestat};
use super::guest::Guest;

pub(crate) use super::beneath::open_beneath;

/// An owned host fd, closed on drop.
struct Owned(i32);
impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: we own it.
        unsafe { libc::close(self.0) };
    }
}

/// Splits `path` into its parent (opened beneath `dir`) and last component. A trailing
/// slash stays on the last component (`x/`), so the host sees it.
fn parent_of(dir: i32, path: &[u8]) -> Result<(Owned, CString), Errno> {
    if path.is_empty() {
        return Err(errno::NOENT);
    }
    if path.first() == Some(&b'/') {
        return Err(errno::PERM);
    }
    let mut trimmed = path;
    while trimmed.len() > 1 && trimmed.last() == Some(&b'/') {
        trimmed = &trimmed[..trimmed.len() - 1];
    }
    let slash = trimmed.len() < path.len();
    let (parent, base): (&[u8], &[u8]) = match trimmed.iter().rposition(|&b| b == b'/') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (b".", trimmed),
    };
    let parent = if parent.is_empty() { &b"."[..] } else { parent };
    // `x/..` or `.`: resolve the whole path as the directory and use "." in it.
    let (parent_path, base): (&[u8], Vec<u8>) = if base == b".." || base == b"." {
        (trimmed, b".".to_vec())
    } else if slash {
        (parent, [base, b"/"].concat())
    } else {
        (parent, base.to_vec())
    };
    let p = open_beneath(dir, parent_path, libc::O_PATH | libc::O_DIRECTORY, 0)?;
    Ok((Owned(p), CString::new(base).map_err(|_| errno::INVAL)?))
}

fn dir_entry(cx: &WasiCtx, fd: u32) -> Result<i32, Errno> {
    match cx.entry(fd)? {
        Desc::Dir { fd, .. } => Ok(fd.0),
        _ => Err(errno::BADF),
    }
}

fn read_path(mem: &Guest, ptr: u32, len: u32) -> Result<Vec<u8>, Errno> {
    if u64::from(len) > super::guest::HOSTCALL_FUEL {
        return Err(errno::NOMEM);
    }
    let b = mem.bytes(ptr, len)?.to_vec();
    if std::str::from_utf8(&b).is_err() {
        return Err(errno::ILSEQ);
    }
    Ok(b)
}

/// `stat` of `path` beneath `dir`, following a final symlink or not.
fn stat_at(dir: i32, path: &[u8], follow: bool) -> Result<libc::stat, Errno> {
    if follow {
        let f = Owned(open_beneath(dir, path, libc::O_PATH, 0)?);
        return super::fd::fstat(f.0);
    }
    let (p, base) = parent_of(dir, path)?;
    let at = |name: &CStr| {
        // SAFETY: stat into a local.
        unsafe {
            let mut st: libc::stat = std::mem::zeroed();
            if libc::fstatat(p.0, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) != 0 {
                return Err(errno::last());
            }
            Ok(st)
        }
    };
    match at(&base) {
        // `file/` (or a link to one): wasmtime stats the entry itself.
        Err(errno::NOTDIR) if base.as_bytes().ends_with(b"/") => {
            let b = base.as_bytes();
            at(&CString::new(&b[..b.len() - 1]).map_err(|_| errno::INVAL)?)
        }
        r => r,
    }
}

fn check(r: libc::c_int) -> Result<(), Errno> {
    if r != 0 {
        return Err(errno::last());
    }
    Ok(())
}

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
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if dirflags & !lookupflags::SYMLINK_FOLLOW != 0 {
            return Err(errno::invalid("flag", "Lookupflags"));
        }
        if oflags & !oflags::ALL != 0 {
            return Err(errno::invalid("flag", "Oflags"));
        }
        if (rights_base | rights_inheriting) & !rights::ALL != 0 {
            return Err(errno::invalid("flag", "Rights"));
        }
        if fdflags & !fdflags::ALL != 0 {
            return Err(errno::invalid("flag", "Fdflags"));
        }
        let path = read_path(mem, path, path_len)?;
        let dir = match cx.entry(fd)? {
            Desc::Dir { fd, .. } => fd.0,
            Desc::File(_) => return Err(errno::NOTDIR),
            _ => return Err(errno::BADF),
        };
        cx.check_room()?;
        if fdflags & (fdflags::DSYNC | fdflags::RSYNC | fdflags::SYNC) != 0 {
            return Err(errno::NOTSUP);
        }
        if oflags & oflags::DIRECTORY != 0
            && oflags & (oflags::CREAT | oflags::EXCL | oflags::TRUNC) != 0
        {
            return Err(errno::INVAL);
        }
        // As wasmtime: creating or truncating opens for writing; without the write
        // right a file is opened for reading.
        let want_write = rights_base & rights::FD_WRITE != 0;
        let write = want_write || oflags & (oflags::CREAT | oflags::TRUNC) != 0;
        let read = rights_base & rights::FD_READ != 0 || !want_write;
        let mut flags = match (read, write) {
            (true, true) => libc::O_RDWR,
            (false, true) => libc::O_WRONLY,
            _ => libc::O_RDONLY,
        };
        if oflags & oflags::CREAT != 0 {
            flags |= libc::O_CREAT;
            if oflags & oflags::EXCL != 0 {
                flags |= libc::O_EXCL;
            }
        }
        if oflags & oflags::DIRECTORY != 0 {
            flags |= libc::O_DIRECTORY;
        }
        if oflags & oflags::TRUNC != 0 {
            flags |= libc::O_TRUNC;
        }
        if dirflags & lookupflags::SYMLINK_FOLLOW == 0 {
            flags |= libc::O_NOFOLLOW;
        }
        if path.first() == Some(&b'/') {
            return Err(errno::PERM);
        }
        let host = match open_beneath(dir, &path, flags | libc::O_NOCTTY, 0o666) {
            // A symlink not followed where a directory is wanted: `ELOOP`, as wasmtime.
            Err(errno::NOTDIR)
                if flags & libc::O_NOFOLLOW != 0
                    && flags & libc::O_DIRECTORY != 0
                    && stat_at(dir, &path, false)
                        .is_ok_and(|st| st.st_mode & libc::S_IFMT == libc::S_IFLNK) =>
            {
                return Err(errno::LOOP)
            }
            r => Owned(r?),
        };
        let st = super::fd::fstat(host.0)?;
        let is_dir = st.st_mode & libc::S_IFMT == libc::S_IFDIR;
        let h = HostFd(host.0);
        std::mem::forget(host);
        let d = if is_dir {
            Desc::Dir {
                fd: h,
                preopen: None,
            }
        } else {
            Desc::File(File {
                fd: h,
                pos: 0,
                append: fdflags & fdflags::APPEND != 0,
                nonblock: fdflags & fdflags::NONBLOCK != 0,
                read: rights_base & rights::FD_READ != 0 || !want_write,
                write,
            })
        };
        let opened = mem.structure(opened, 4, 4)?;
        opened.set_u32(0, cx.push(d));
        Ok(())
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

/// The `filestat` of `path` under the directory `fd`, following a final symlink if
/// `flags` say so.
pub(crate) fn path_filestat(
    cx: &WasiCtx,
    mem: &Guest,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
) -> Result<[u8; 64], Errno> {
    if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
        return Err(errno::invalid("flag", "Lookupflags"));
    }
    let dir = dir_entry(cx, fd)?;
    let path = read_path(mem, path, path_len)?;
    let st = stat_at(dir, &path, flags & lookupflags::SYMLINK_FOLLOW != 0)?;
    Ok(filestat_bytes(&st))
}

pub(crate) extern "C" fn path_filestat_get(
    vmctx: *mut VmCtx,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    out: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        write_filestat(
            mem,
            out,
            &path_filestat(cx, mem, fd, flags, path, path_len)?,
        )
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn path_create_directory(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let dir = dir_entry(cx, fd)?;
        let (p, base) = parent_of(dir, &read_path(mem, path, len)?)?;
        // SAFETY: creates a directory; `p` is the parent opened beneath the directory and `base` its
        // NUL-terminated last component (never `..`), alive during the call.
        check(unsafe { libc::mkdirat(p.0, base.as_ptr(), 0o777) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn path_remove_directory(
    vmctx: *mut VmCtx,
    fd: u32,
    path: u32,
    len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let dir = dir_entry(cx, fd)?;
        let path = read_path(mem, path, len)?;
        let (p, base) = parent_of(dir, &path)?;
        if base.as_bytes().ends_with(b"/") {
            // wasmtime removes `x/` as `.` in `x`.
            let d = Owned(open_beneath(
                p.0,
                base.as_bytes(),
                libc::O_PATH | libc::O_DIRECTORY,
                0,
            )?);
            drop(d);
            return Err(errno::INVAL);
        }
        // SAFETY: removes a directory; `p` is the parent opened beneath the directory and `base` its
        // NUL-terminated last component (never `..`), alive during the call.
        check(unsafe { libc::unlinkat(p.0, base.as_ptr(), libc::AT_REMOVEDIR) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn path_unlink_file(vmctx: *mut VmCtx, fd: u32, path: u32, len: u32) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let dir = dir_entry(cx, fd)?;
        let path = read_path(mem, path, len)?;
        let (p, base) = parent_of(dir, &path)?;
        // SAFETY: removes a file; `p` is the parent opened beneath the directory and `base` its
        // NUL-terminated last component (never `..`), alive during the call.
        check(unsafe { libc::unlinkat(p.0, base.as_ptr(), 0) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
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
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let (d1, d2) = (dir_entry(cx, fd)?, dir_entry(cx, new_fd)?);
        let (old, new) = (read_path(mem, old, old_len)?, read_path(mem, new, new_len)?);
        let (p1, b1) = parent_of(d1, &old)?;
        let (p2, b2) = parent_of(d2, &new)?;
        // SAFETY: renames between two parents opened beneath their directories; `b1` and
        // `b2` are NUL-terminated last components (never `..`), alive during the call.
        check(unsafe { libc::renameat(p1.0, b1.as_ptr(), p2.0, b2.as_ptr()) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn path_symlink(
    vmctx: *mut VmCtx,
    old: u32,
    old_len: u32,
    fd: u32,
    new: u32,
    new_len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let dir = dir_entry(cx, fd)?;
        let target = read_path(mem, old, old_len)?;
        let new = read_path(mem, new, new_len)?;
        // An absolute target could never resolve inside the sandbox.
        if target.first() == Some(&b'/') {
            return Err(errno::PERM);
        }
        let target = CString::new(target).map_err(|_| errno::INVAL)?;
        let (p, base) = parent_of(dir, &new)?;
        // SAFETY: creates a symlink (its target is only text: it is never followed here);
        // `p` is the parent opened beneath the directory, `target` and `base` are
        // NUL-terminated, alive during the call.
        check(unsafe { libc::symlinkat(target.as_ptr(), p.0, base.as_ptr()) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
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
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        let dir = dir_entry(cx, fd)?;
        let (p, base) = parent_of(dir, &read_path(mem, path, path_len)?)?;
        let mut tmp = vec![0u8; libc::PATH_MAX as usize + 1];
        // SAFETY: reads at most `tmp.len()` bytes into `tmp`, valid for writes; `p` is the
        // parent opened beneath the directory, `base` its NUL-terminated last component.
        let n = unsafe { libc::readlinkat(p.0, base.as_ptr(), tmp.as_mut_ptr().cast(), tmp.len()) };
        if n < 0 {
            return Err(errno::last());
        }
        let n = (n as usize).min(buf_len as usize);
        mem.write_bytes(buf, &tmp[..n])?;
        mem.write_u32(used, u32::try_from(n).expect("at most buf_len, a u32"))
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

#[allow(clippy::too_many_arguments, reason = "the WASI signature")]
pub(crate) extern "C" fn path_link(
    vmctx: *mut VmCtx,
    old_fd: u32,
    old_flags: u32,
    old: u32,
    old_len: u32,
    new_fd: u32,
    new: u32,
    new_len: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if old_flags & !lookupflags::SYMLINK_FOLLOW != 0 {
            return Err(errno::invalid("flag", "Lookupflags"));
        }
        let (d1, d2) = (dir_entry(cx, old_fd)?, dir_entry(cx, new_fd)?);
        let (old, new) = (read_path(mem, old, old_len)?, read_path(mem, new, new_len)?);
        if old_flags & lookupflags::SYMLINK_FOLLOW != 0 {
            return Err(errno::INVAL);
        }
        let (p1, b1) = parent_of(d1, &old)?;
        let (p2, b2) = parent_of(d2, &new)?;
        // SAFETY: links between two parents opened beneath their directories (the source
        // is not followed: flags 0); `b1` and `b2` are NUL-terminated last components.
        check(unsafe { libc::linkat(p1.0, b1.as_ptr(), p2.0, b2.as_ptr(), 0) })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
}

pub(crate) extern "C" fn path_filestat_set_times(
    vmctx: *mut VmCtx,
    fd: u32,
    flags: u32,
    path: u32,
    path_len: u32,
    atim: u64,
    mtim: u64,
    fst_flags: u32,
) -> u32 {
    let call = |cx: &mut WasiCtx, mem: &Guest| -> Result<(), Errno> {
        if flags & !lookupflags::SYMLINK_FOLLOW != 0 {
            return Err(errno::invalid("flag", "Lookupflags"));
        }
        let ts = super::fd::timespecs(atim, mtim, fst_flags)?;
        let dir = dir_entry(cx, fd)?;
        let path = read_path(mem, path, path_len)?;
        if flags & lookupflags::SYMLINK_FOLLOW != 0 {
            // Resolve beneath `dir` (the link may point anywhere), then set the times
            // of what it names through /proc/self/fd, which works on `O_PATH` fds.
            let f = Owned(open_beneath(dir, &path, libc::O_PATH, 0)?);
            let proc = CString::new(format!("/proc/self/fd/{}", f.0)).expect("no NUL");
            // SAFETY: `proc` is a NUL-terminated path to the fd resolved beneath `dir`,
            // `ts` the two timespecs `utimensat` reads.
            return check(unsafe {
                libc::utimensat(libc::AT_FDCWD, proc.as_ptr(), ts.as_ptr(), 0)
            });
        }
        let (p, base) = parent_of(dir, &path)?;
        // SAFETY: `p` is the parent opened beneath the directory, `base` its NUL-terminated
        // last component (not followed), `ts` the two timespecs `utimensat` reads.
        check(unsafe {
            libc::utimensat(p.0, base.as_ptr(), ts.as_ptr(), libc::AT_SYMLINK_NOFOLLOW)
        })
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with(vmctx, call) }
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
