//! The context a WASI instance runs with ([`WasiCtx`]: args, environment, the fd table
//! with its preopens) and [`with`], which every host function goes through to reach it and
//! the caller's memory from the caller's vmctx. Depends on the VM layer only.
//!
//! One context serves every thread of a program (each wasi thread's instance holds the
//! same [`SharedCtx`]), so it sits behind a lock: [`with`] holds it for the whole call,
//! which suits every call that does not wait; the calls that may wait for long (reading a
//! pipe, stdin or a socket, `poll_oneoff`) go through [`with_shared`] and hold it only
//! while they look at the table, so a thread sleeping or reading never holds up another
//! thread's output.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, MutexGuard};

use kiln_abi::vmctx::VmCtx;

use super::errno::{self, Errno};
use super::guest::Guest;

/// A host fd owned by the guest's fd table, closed on drop.
#[derive(Debug)]
pub struct HostFd(pub RawFd);

impl Drop for HostFd {
    fn drop(&mut self) {
        // SAFETY: the table owns the fd.
        unsafe { libc::close(self.0) };
    }
}

/// An open regular file (or other non-directory). As in wasmtime, the file position is
/// the runtime's: reads and writes are positioned (`pread`/`pwrite`).
#[derive(Debug)]
pub struct File {
    pub fd: HostFd,
    pub pos: u64,
    pub append: bool,
    pub nonblock: bool,
    /// Opened for reading / writing (what `fd_fdstat_get` reports as rights).
    pub read: bool,
    pub write: bool,
}

/// What a guest fd refers to.
#[derive(Debug)]
pub enum Desc {
    /// The process's stdin/stdout/stderr (host fds 0-2, never closed by the runtime);
    /// whether the host fd is a terminal decides the file type the guest sees, as in
    /// wasmtime, asked when the guest asks (`isatty`: most runs never ask about stdin or
    /// stderr, and each question is a system call).
    Stdin,
    Stdout,
    Stderr,
    File(File),
    Dir {
        fd: HostFd,
        /// The guest path of a preopened directory (opened `O_PATH`).
        preopen: Option<Vec<u8>>,
    },
    /// A listening TCP socket handed over by the launcher (`KILN_TCPLISTEN`).
    Listener {
        fd: HostFd,
    },
    /// A connection accepted from a listener.
    Stream {
        fd: HostFd,
        nonblock: bool,
    },
}

impl Desc {
    /// The host fd behind a descriptor.
    pub fn host(&self) -> RawFd {
        match self {
            Desc::Stdin => 0,
            Desc::Stdout => 1,
            Desc::Stderr => 2,
            Desc::File(f) => f.fd.0,
            Desc::Dir { fd, .. } | Desc::Listener { fd } | Desc::Stream { fd, .. } => fd.0,
        }
    }
}

/// Everything WASI functions may reach: Node's `new WASI({ args, env, preopens })`.
#[derive(Debug, Default)]
pub struct WasiCtx {
    /// What the guest sees as argv (argv\[0\] first).
    pub args: Vec<Vec<u8>>,
    /// `KEY=VALUE` entries.
    pub env: Vec<Vec<u8>>,
    pub(crate) fds: BTreeMap<u32, Desc>,
    /// Numbers freed by `fd_close`/`fd_renumber`; the highest is reused first (wasmtime).
    pub(crate) free: BTreeSet<u32>,
    /// The most descriptors the guest may hold (`--max-open-files`); `None`: no limit.
    pub max_open_files: Option<u32>,
}

pub(crate) fn isatty(fd: RawFd) -> bool {
    // SAFETY: no memory is passed.
    unsafe { libc::isatty(fd) == 1 }
}

impl WasiCtx {
    /// No args, no environment, stdio on fds 0-2 and no preopens.
    pub fn new() -> WasiCtx {
        let mut fds = BTreeMap::new();
        fds.insert(0, Desc::Stdin);
        fds.insert(1, Desc::Stdout);
        fds.insert(2, Desc::Stderr);
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            fds,
            free: BTreeSet::new(),
            max_open_files: None,
        }
    }

    pub fn arg(&mut self, a: impl Into<Vec<u8>>) -> &mut Self {
        self.args.push(a.into());
        self
    }

    pub fn env(&mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> &mut Self {
        let mut kv = key.as_ref().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(value.as_ref());
        self.env.push(kv);
        self
    }

    /// Grants the guest the host directory `host` under the name `guest` (the next fd).
    pub fn preopen_dir(&mut self, host: &str, guest: &str) -> Result<&mut Self, String> {
        let c = CString::new(host).map_err(|_| format!("bad directory path {host:?}"))?;
        // SAFETY: opening a directory by path.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(format!(
                "cannot open directory {host:?}: {}",
                std::io::Error::last_os_error()
            ));
        }
        self.push(Desc::Dir {
            fd: HostFd(fd),
            preopen: Some(guest.as_bytes().to_vec()),
        });
        Ok(self)
    }

    /// Makes the guest's stdin, stdout or stderr (`fd` 0, 1 or 2) the open file `file`
    /// instead of the process's own: reads and writes go to the file from its current offset
    /// on, and the guest sees a regular file. The context owns `file` from now on.
    pub fn stdio_file(&mut self, fd: u32, file: std::fs::File) -> Result<&mut Self, String> {
        use std::os::fd::IntoRawFd;
        if fd > 2 {
            return Err(format!("fd {fd} is not stdin, stdout or stderr"));
        }
        let fd_raw = file.into_raw_fd();
        let owned = HostFd(fd_raw);
        // SAFETY: `fd_raw` is open (owned just above); `lseek` touches no memory.
        let pos = unsafe { libc::lseek(fd_raw, 0, libc::SEEK_CUR) };
        // SAFETY: as above; `fcntl(F_GETFL)` touches no memory.
        let flags = unsafe { libc::fcntl(fd_raw, libc::F_GETFL) };
        if pos < 0 || flags < 0 {
            return Err(format!(
                "stdio fd {fd}: not a seekable file: {}",
                std::io::Error::last_os_error()
            ));
        }
        let access = flags & libc::O_ACCMODE;
        self.fds.insert(
            fd,
            Desc::File(File {
                fd: owned,
                pos: pos.unsigned_abs(),
                append: flags & libc::O_APPEND != 0,
                nonblock: false,
                read: access != libc::O_WRONLY,
                write: access != libc::O_RDONLY,
            }),
        );
        Ok(self)
    }

    /// Hands the guest a listening socket (the next fd); the context owns `fd`.
    pub fn listener(&mut self, fd: RawFd) -> u32 {
        self.push(Desc::Listener { fd: HostFd(fd) })
    }

    pub(crate) fn entry(&self, fd: u32) -> Result<&Desc, Errno> {
        self.fds.get(&fd).ok_or(errno::BADF)
    }

    pub(crate) fn entry_mut(&mut self, fd: u32) -> Result<&mut Desc, Errno> {
        self.fds.get_mut(&fd).ok_or(errno::BADF)
    }

    /// `EMFILE` when the guest already holds `max_open_files` descriptors: checked before
    /// a host resource is acquired for a new one.
    pub(crate) fn check_room(&self) -> Result<(), Errno> {
        match self.max_open_files {
            Some(max) if self.fds.len() >= max as usize => Err(errno::MFILE),
            _ => Ok(()),
        }
    }

    /// Adds `d` under the highest freed number, else one past the highest in use.
    pub(crate) fn push(&mut self, d: Desc) -> u32 {
        let fd = match self.free.pop_last() {
            Some(fd) => fd,
            None => self
                .fds
                .last_key_value()
                .map_or(0, |(k, _)| k.saturating_add(1)),
        };
        self.fds.insert(fd, d);
        fd
    }

    /// Removes `fd` from the table (closing its host fd unless it is stdio).
    pub(crate) fn remove(&mut self, fd: u32) -> Result<Desc, Errno> {
        let d = self.fds.remove(&fd).ok_or(errno::BADF)?;
        self.free.insert(fd);
        Ok(d)
    }
}

extern "C" {
    fn kiln_in_catch() -> libc::c_int;
}

/// The context of a program, shared by the instances of all its threads.
pub(crate) type SharedCtx = Arc<Mutex<WasiCtx>>;

/// The host state of a WASI instance (what `instance` keeps opaque): its [`SharedCtx`].
pub(crate) fn host_state(cx: WasiCtx) -> Box<dyn Any> {
    Box::new(SharedCtx::new(Mutex::new(cx)))
}

/// The context of the instance whose vmctx is `vmctx`, if it is a WASI instance.
///
/// # Safety
/// `vmctx` is the live context of an instance.
pub(crate) unsafe fn shared_ctx<'a>(vmctx: *mut VmCtx) -> Option<&'a SharedCtx> {
    // SAFETY: the caller's contract: `vmctx` belongs to a live instance.
    let inst = unsafe { crate::instance::from_vmctx(vmctx) };
    // SAFETY: the host state is set at instantiation and never replaced while the instance
    // lives; only shared references to it are made once it runs.
    let state = unsafe { &*inst.host_state.get() };
    state.as_ref()?.downcast_ref::<SharedCtx>()
}

/// Locks a context (a thread that panicked holding it left nothing half-done that matters:
/// every table update is one insert or remove).
pub(crate) fn lock(cx: &Mutex<WasiCtx>) -> MutexGuard<'_, WasiCtx> {
    cx.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` with the calling instance's WASI context (locked for the call) and memory; the
/// errno as `u32`. An [`errno::TRAP`] ends the program with status 1 after a message on
/// stderr (as `wasmtime run` does for host errors) when called from wasm.
///
/// # Safety
/// `vmctx` is the live context of the calling instance.
pub(crate) unsafe fn with(
    vmctx: *mut VmCtx,
    f: impl FnOnce(&mut WasiCtx, &Guest) -> Result<(), Errno>,
) -> u32 {
    // SAFETY: the caller's contract.
    unsafe { with_shared(vmctx, |cx, mem| f(&mut lock(cx), mem)) }
}

/// As [`with`], but `f` gets the context unlocked and locks it itself, only while it needs
/// the table (a call that may block must not hold it while it waits).
///
/// # Safety
/// `vmctx` is the live context of the calling instance.
pub(crate) unsafe fn with_shared(
    vmctx: *mut VmCtx,
    f: impl FnOnce(&Mutex<WasiCtx>, &Guest) -> Result<(), Errno>,
) -> u32 {
    // SAFETY: the caller's contract: `vmctx` belongs to a live instance.
    let (cx, mem) = unsafe { (shared_ctx(vmctx), Guest::new(vmctx)) };
    let Some(cx) = cx else {
        return u32::from(errno::NOSYS);
    };
    // The lock is released by now: `end_program` leaves this frame without unwinding.
    match f(cx, &mem) {
        Ok(()) => 0,
        Err(errno::TRAP) => u32::from(end_program()),
        Err(e) => u32::from(e),
    }
}

/// Ends the program after a host error (see [`with`]); outside wasm, the fallback errno.
pub(crate) fn end_program() -> Errno {
    let (message, fallback) = errno::take_trap();
    // SAFETY: a plain thread-local flag in the C helper.
    if unsafe { kiln_in_catch() } == 0 {
        return fallback;
    }
    eprintln!("kiln: error: WASI call failed: {message}");
    drop(message);
    // Nothing with a destructor is live in the frames `exit` skips.
    crate::traps::exit(1)
}
