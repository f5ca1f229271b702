//! Opening a path confined beneath a directory fd: the one primitive the sandbox rests on.
//!
//! SANDBOX-CRITICAL (two reviews please). [`open_beneath`] asks the kernel: `openat2(2)` with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, which refuses absolute paths, `..` above the
//! directory and symlinks leading out of it (`EXDEV`, reported as `EPERM` as wasmtime does).
//! Where `openat2` does not exist (`ENOSYS`: Linux before 5.6, qemu-user before 9.1, some
//! seccomp filters) it walks the path itself, one component at a time ([`walk`]), as
//! cap-std does for wasmtime on such kernels: every component is opened with `O_NOFOLLOW`
//! relative to the directory reached so far, `..` goes back to a directory the walk itself
//! opened (never asked of the kernel), and a symlink's target is read and walked in its
//! place. So no kernel lookup ever crosses a symlink or `..`, and the walk answers as
//! `openat2` does (the unit tests compare the two on a hostile tree).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};

use super::errno::{self, Errno};

#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}
const SYS_OPENAT2: libc::c_long = 437;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_BENEATH: u64 = 0x08;

/// The kernel's limit on symlinks followed in one lookup (`MAXSYMLINKS`).
const MAX_SYMLINKS: u32 = 40;

/// Set once `openat2` answered `ENOSYS`: every later lookup walks.
static NO_OPENAT2: AtomicBool = AtomicBool::new(false);

/// `openat2(dir, path, flags, mode)` confined beneath `dir`, or the same by [`walk`] where
/// the kernel has no `openat2`. The fd is `O_CLOEXEC`.
pub(crate) fn open_beneath(dir: i32, path: &[u8], flags: i32, mode: u32) -> Result<i32, Errno> {
    let c = CString::new(path).map_err(|_| errno::INVAL)?;
    if !NO_OPENAT2.load(Ordering::Relaxed) {
        match openat2(dir, &c, flags, mode) {
            Err(libc::ENOSYS) => NO_OPENAT2.store(true, Ordering::Relaxed),
            r => return r.map_err(host_errno),
        }
    }
    walk(dir, path, flags, mode).map_err(host_errno)
}

/// A host errno as WASI's: an escape (`EXDEV`) is `EPERM`, as wasmtime reports it.
fn host_errno(e: i32) -> Errno {
    match e {
        libc::EXDEV => errno::PERM,
        e => errno::from_host(e),
    }
}

/// The `mode` argument of an open: only meaningful with `O_CREAT`.
fn create_mode(flags: i32, mode: u32) -> u32 {
    if flags & libc::O_CREAT != 0 {
        mode
    } else {
        0
    }
}

fn last_errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// The raw `openat2` call, retried on `EAGAIN`/`EINTR`; `Err` is the host errno.
fn openat2(dir: i32, path: &CString, flags: i32, mode: u32) -> Result<i32, i32> {
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u64,
        mode: u64::from(create_mode(flags, mode)),
        resolve: RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
    };
    loop {
        // SAFETY: a plain syscall with valid pointers.
        let r = unsafe {
            libc::syscall(
                SYS_OPENAT2,
                dir,
                path.as_ptr(),
                &how as *const OpenHow,
                size_of::<OpenHow>(),
            )
        };
        if r >= 0 {
            return Ok(i32::try_from(r).expect("openat2 returns an fd, a c_int"));
        }
        match last_errno() {
            libc::EAGAIN | libc::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// An fd the walk opened, closed on drop.
struct Fd(i32);
impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the walk owns it.
        unsafe { libc::close(self.0) };
    }
}

/// `openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)`, retried on `EINTR`.
fn open_component(dir: i32, name: &[u8], flags: i32, mode: u32) -> Result<Fd, i32> {
    let c = CString::new(name).map_err(|_| libc::EINVAL)?;
    loop {
        // SAFETY: a plain syscall with a valid string.
        let r = unsafe {
            libc::openat(
                dir,
                c.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                create_mode(flags, mode),
            )
        };
        if r >= 0 {
            return Ok(Fd(r));
        }
        match last_errno() {
            libc::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// The file type bits of an open fd.
fn file_type(fd: &Fd) -> Result<u32, i32> {
    // SAFETY: fstat into a local.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        if libc::fstat(fd.0, &mut st) != 0 {
            return Err(last_errno());
        }
        Ok(st.st_mode & libc::S_IFMT)
    }
}

/// The target of the symlink `name` in `dir` (`name` empty: `dir` is an `O_PATH` fd of the
/// symlink itself).
fn read_link(dir: i32, name: &[u8]) -> Result<Vec<u8>, i32> {
    let c = CString::new(name).map_err(|_| libc::EINVAL)?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: readlinkat into a buffer of its length.
    let n = unsafe { libc::readlinkat(dir, c.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(last_errno());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

/// Whether `name` in `dir` is a symlink (not following it).
fn is_symlink(dir: i32, name: &[u8]) -> bool {
    let Ok(c) = CString::new(name) else {
        return false;
    };
    // SAFETY: fstatat into a local.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        libc::fstatat(dir, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) == 0
            && st.st_mode & libc::S_IFMT == libc::S_IFLNK
    }
}

/// What is left of the path: its next component, and whether a slash follows it.
struct Rest {
    path: Vec<u8>,
    at: usize,
}

impl Rest {
    /// The next component and whether it is the last one, with a trailing slash or not;
    /// `None` when only slashes remain.
    fn next(&mut self) -> Option<(Vec<u8>, bool, bool)> {
        while self.path.get(self.at) == Some(&b'/') {
            self.at += 1;
        }
        if self.at >= self.path.len() {
            return None;
        }
        let end = self.path[self.at..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(self.path.len(), |i| self.at + i);
        let name = self.path[self.at..end].to_vec();
        self.at = end;
        let last = self.path[end..].iter().all(|&b| b == b'/');
        Some((name, last, end < self.path.len()))
    }

    /// Puts a symlink's target in front of what is left (after a slash, so a trailing
    /// slash of the original path stays one).
    fn splice(&mut self, target: &[u8]) {
        let mut path = target.to_vec();
        if self.at < self.path.len() {
            path.push(b'/');
            path.extend_from_slice(&self.path[self.at..]);
        }
        self.path = path;
        self.at = 0;
    }
}

/// [`open_beneath`] without `openat2`: `path` walked one component at a time from `dir`.
/// `Err` is the host errno `openat2` would have given (`EXDEV` for an escape).
fn walk(dir: i32, path: &[u8], flags: i32, mode: u32) -> Result<i32, i32> {
    if path.is_empty() {
        return Err(libc::ENOENT);
    }
    if path.len() >= libc::PATH_MAX as usize {
        return Err(libc::ENAMETOOLONG);
    }
    // The directories entered, innermost last; empty: `dir` itself. `..` pops one.
    let mut entered: Vec<Fd> = Vec::new();
    let mut rest = Rest {
        path: path.to_vec(),
        at: 0,
    };
    let mut links = 0;
    if path[0] == b'/' {
        return Err(libc::EXDEV);
    }
    let mut follow_link = |rest: &mut Rest, target: Vec<u8>| -> Result<(), i32> {
        links += 1;
        if links > MAX_SYMLINKS {
            return Err(libc::ELOOP);
        }
        match target.first() {
            None => return Err(libc::ENOENT),
            Some(b'/') => return Err(libc::EXDEV),
            Some(_) => {}
        }
        rest.splice(&target);
        Ok(())
    };
    loop {
        let cur = entered.last().map_or(dir, |f| f.0);
        let Some((name, last, slash)) = rest.next() else {
            // Only slashes were left (`d/` after a symlink's target `d/`): the directory
            // reached is the answer.
            return open_component(cur, b".", flags, mode).map(into_raw);
        };
        if name == b"." || name == b".." {
            if name == b".." && entered.pop().is_none() {
                return Err(libc::EXDEV);
            }
            if last {
                let cur = entered.last().map_or(dir, |f| f.0);
                return open_component(cur, b".", flags, mode).map(into_raw);
            }
            continue;
        }
        if !last || slash {
            // A directory on the way (or one a trailing slash asks for): entered through an
            // `O_PATH` fd of exactly what the name is now, a symlink read through that fd.
            if last && flags & libc::O_CREAT != 0 {
                // `name/` is never created; the kernel answers so before looking.
                return Err(libc::EISDIR);
            }
            let fd = open_component(cur, &name, libc::O_PATH, 0)?;
            match file_type(&fd)? {
                libc::S_IFLNK => {
                    // A trailing slash follows a final symlink whatever the flags say.
                    let target = read_link(fd.0, b"")?;
                    follow_link(&mut rest, target)?;
                }
                libc::S_IFDIR if !last => entered.push(fd),
                libc::S_IFDIR => {
                    let opened = open_component(cur, &name, flags, mode)?;
                    if file_type(&opened)? != libc::S_IFDIR {
                        // Replaced by something else since: not the directory asked for.
                        return Err(libc::ENOTDIR);
                    }
                    return Ok(into_raw(opened));
                }
                _ => return Err(libc::ENOTDIR),
            }
            continue;
        }
        // The last component: opened as asked, never through a symlink; a symlink found
        // there is followed (walked) when the flags allow.
        let follow = flags & libc::O_NOFOLLOW == 0
            && flags & (libc::O_CREAT | libc::O_EXCL) != libc::O_CREAT | libc::O_EXCL;
        match open_component(cur, &name, flags, mode) {
            Ok(fd) => {
                if follow && flags & libc::O_PATH != 0 && file_type(&fd)? == libc::S_IFLNK {
                    let target = read_link(fd.0, b"")?;
                    follow_link(&mut rest, target)?;
                    continue;
                }
                return Ok(into_raw(fd));
            }
            // A symlink where O_NOFOLLOW refused it (ELOOP; ENOTDIR with O_DIRECTORY).
            Err(e @ (libc::ELOOP | libc::ENOTDIR)) if follow && is_symlink(cur, &name) => {
                let target = read_link(cur, &name).map_err(|_| e)?;
                follow_link(&mut rest, target)?;
            }
            Err(e) => return Err(e),
        }
    }
}

fn into_raw(fd: Fd) -> i32 {
    let raw = fd.0;
    std::mem::forget(fd);
    raw
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::path::{Path, PathBuf};

    /// A scratch directory of this test process, removed on drop.
    struct TempDir(PathBuf);
    impl TempDir {
        fn new() -> Self {
            let p = std::env::temp_dir().join(format!("kiln-beneath-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// The walk and `openat2` give the same answer (the same file, or the same errno) for
    /// every path and flag combination on a tree built to be escaped from.
    #[test]
    fn walk_answers_as_openat2() {
        let tmp = TempDir::new();
        let root = tmp.path().join("root");
        std::fs::create_dir_all(root.join("d/e")).unwrap();
        std::fs::write(tmp.path().join("outside.txt"), "outside").unwrap();
        std::fs::write(root.join("f"), "f").unwrap();
        std::fs::write(root.join("d/g"), "g").unwrap();
        for (target, link) in [
            ("/etc", "abs"),
            ("..", "up"),
            ("../outside.txt", "rel_out"),
            ("f", "lf"),
            ("d", "ld"),
            ("d/", "ld_slash"),
            ("../root/f", "out_and_back"),
            ("d/e/../../f", "winding"),
            ("../../f", "d/up2"),
            ("../f", "d/ok"),
            ("missing", "dangling"),
            ("../created", "dangling_out"),
            ("loop_b", "loop_a"),
            ("loop_a", "loop_b"),
            ("self/x", "self"),
            ("e", "d/le"),
            ("ld/le/..", "chain"),
        ] {
            symlink(target, root.join(link)).unwrap();
        }
        for i in 0..45 {
            let to = if i == 0 {
                "f".to_string()
            } else {
                format!("c{i}")
            };
            symlink(to, root.join(format!("c{}", i + 1))).unwrap();
        }
        let c = CString::new(root.to_str().unwrap()).unwrap();
        // SAFETY: opening the test directory.
        let dir = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY) };
        assert!(dir >= 0);

        let paths: &[&str] = &[
            "f",
            "f/",
            "d",
            "d/",
            "d//",
            "d/g",
            "d/g/",
            "d/e",
            "d/e/",
            ".",
            "./",
            "./f",
            "..",
            "../",
            "d/..",
            "d/../",
            "d/../f",
            "d/e/../../f",
            "d/../..",
            "../root/f",
            ".//..//",
            "d/e/../../../",
            "/etc/passwd",
            "/",
            "abs",
            "abs/passwd",
            "up",
            "up/outside.txt",
            "up/root/f",
            "rel_out",
            "lf",
            "lf/",
            "ld",
            "ld/",
            "ld/g",
            "ld_slash",
            "ld_slash/g",
            "out_and_back",
            "winding",
            "d/up2",
            "d/ok",
            "dangling",
            "dangling/",
            "dangling_out",
            "loop_a",
            "loop_a/x",
            "self",
            "chain",
            "chain/g",
            "c5",
            "c39",
            "c40",
            "c41",
            "c45",
            "missing",
            "missing/x",
            "new/",
            "f/x",
            "d/le",
            "ld/le",
            "ld/le/",
        ];
        let flag_sets = [
            libc::O_PATH,
            libc::O_PATH | libc::O_NOFOLLOW,
            libc::O_PATH | libc::O_DIRECTORY,
            libc::O_RDONLY,
            libc::O_RDONLY | libc::O_NOFOLLOW,
            libc::O_RDONLY | libc::O_DIRECTORY,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
        ];
        let identity = |fd: i32| {
            // SAFETY: fstat of an fd the call returned, then closing it.
            unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                assert_eq!(libc::fstat(fd, &mut st), 0);
                libc::close(fd);
                (st.st_dev, st.st_ino)
            }
        };
        for path in paths {
            let cpath = CString::new(*path).unwrap();
            for flags in flag_sets {
                let kernel = openat2(dir, &cpath, flags, 0).map(identity);
                let walked = walk(dir, path.as_bytes(), flags, 0).map(identity);
                assert_eq!(walked, kernel, "{path:?} with flags {flags:#o}");
            }
        }
        // Creation, on copies of the tree so each side creates in its own.
        for (path, flags) in [
            ("new", libc::O_CREAT | libc::O_WRONLY),
            ("new/", libc::O_CREAT | libc::O_WRONLY),
            ("d/new", libc::O_CREAT | libc::O_WRONLY),
            ("../new", libc::O_CREAT | libc::O_WRONLY),
            ("dangling", libc::O_CREAT | libc::O_WRONLY),
            (
                "dangling",
                libc::O_CREAT | libc::O_WRONLY | libc::O_NOFOLLOW,
            ),
            ("dangling", libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY),
            ("dangling_out", libc::O_CREAT | libc::O_WRONLY),
            ("f", libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY),
            ("lf", libc::O_CREAT | libc::O_WRONLY),
            ("d", libc::O_CREAT | libc::O_WRONLY),
        ] {
            let mut answers = Vec::new();
            for side in ["kernel", "walk"] {
                let sub = tmp.path().join(side);
                let _ = std::fs::remove_dir_all(&sub);
                std::fs::create_dir_all(sub.join("d")).unwrap();
                std::fs::write(sub.join("f"), "f").unwrap();
                symlink("missing", sub.join("dangling")).unwrap();
                symlink("../created", sub.join("dangling_out")).unwrap();
                symlink("f", sub.join("lf")).unwrap();
                let c = CString::new(sub.to_str().unwrap()).unwrap();
                // SAFETY: opening the test directory.
                let d = unsafe { libc::open(c.as_ptr(), libc::O_PATH | libc::O_DIRECTORY) };
                let r = if side == "kernel" {
                    openat2(d, &CString::new(path).unwrap(), flags, 0o644)
                } else {
                    walk(d, path.as_bytes(), flags, 0o644)
                };
                // SAFETY: closing what was opened.
                unsafe {
                    if let Ok(fd) = r {
                        libc::close(fd);
                    }
                    libc::close(d);
                }
                let mut names: Vec<String> = std::fs::read_dir(&sub)
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                names.sort();
                answers.push((r.map(|_| ()), names));
            }
            assert_eq!(answers[1], answers[0], "{path:?} with flags {flags:#o}");
            assert!(!tmp.path().join("created").exists(), "{path:?} escaped");
        }
        // SAFETY: closing the test directory.
        unsafe { libc::close(dir) };
    }
}
