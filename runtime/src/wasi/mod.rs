//! WASI preview1 (`wasi_snapshot_preview1`): the context an instance runs with
//! ([`WasiCtx`]: args, environment, the fd table with its preopens) and the host functions,
//! one file per family. Each host function is an `extern "C" fn(vmctx, params...) -> errno`
//! bound by name from [`kiln_abi::wasi::FUNCTIONS`]; guest pointers go through
//! [`guest::Guest`]. The semantics are `wasmtime run`'s (wasmtime 49, Linux): same errno
//! values, same fd numbering, same file types and rights reported.

pub mod args_env;
pub mod clock;
pub mod errno;
pub mod fd;
pub mod guest;
pub mod path;
pub mod poll;
pub mod proc;
pub mod random;
pub mod sock;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;
use std::os::fd::RawFd;

use kiln_abi::info::{FuncType, ImportKind, ModuleInfo};
use kiln_abi::vmctx::VmCtx;

use crate::embed::{Extern, Func, InstantiateError};
use errno::Errno;
use guest::Guest;

/// WASI file types (`__wasi_filetype_t`).
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

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
    /// `isatty` decides the file type the guest sees, as in wasmtime.
    Stdin {
        isatty: bool,
    },
    Stdout {
        isatty: bool,
    },
    Stderr {
        isatty: bool,
    },
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
            Desc::Stdin { .. } => 0,
            Desc::Stdout { .. } => 1,
            Desc::Stderr { .. } => 2,
            Desc::File(f) => f.fd.0,
            Desc::Dir { fd, .. } | Desc::Listener { fd } | Desc::Stream { fd, .. } => fd.0,
        }
    }
}

/// Everything WASI functions may reach: Node's `new WASI({ args, env, preopens })`.
#[derive(Debug, Default)]
pub struct WasiCtx {
    /// What the guest sees as argv (argv[0] first).
    pub args: Vec<Vec<u8>>,
    /// `KEY=VALUE` entries.
    pub env: Vec<Vec<u8>>,
    pub(crate) fds: BTreeMap<u32, Desc>,
    /// Numbers freed by `fd_close`/`fd_renumber`; the highest is reused first (wasmtime).
    pub(crate) free: BTreeSet<u32>,
}

fn isatty(fd: RawFd) -> bool {
    // SAFETY: no memory is passed.
    unsafe { libc::isatty(fd) == 1 }
}

impl WasiCtx {
    /// No args, no environment, stdio on fds 0-2 and no preopens.
    pub fn new() -> WasiCtx {
        let mut fds = BTreeMap::new();
        fds.insert(0, Desc::Stdin { isatty: isatty(0) });
        fds.insert(1, Desc::Stdout { isatty: isatty(1) });
        fds.insert(2, Desc::Stderr { isatty: isatty(2) });
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            fds,
            free: BTreeSet::new(),
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

/// Runs `f` with the calling instance's WASI context and memory; the errno as `u32`.
/// An [`errno::TRAP`] ends the program with status 1 after a message on stderr (as
/// `wasmtime run` does for host errors) when called from wasm.
///
/// # Safety
/// `vmctx` is the live context of the calling instance.
pub(crate) unsafe fn with(
    vmctx: *mut VmCtx,
    f: impl FnOnce(&mut WasiCtx, &Guest) -> Result<(), Errno>,
) -> u32 {
    // SAFETY: the caller's contract; WASI calls on one instance never overlap.
    let (inst, mem) = unsafe { (crate::instance::from_vmctx(vmctx), Guest::new(vmctx)) };
    // SAFETY: as above: no other reference to the context is live during a host call.
    let Some(ctx) = (unsafe { &mut *inst.wasi.get() }) else {
        return u32::from(errno::NOSYS);
    };
    match f(ctx, &mem) {
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

/// The host function implementing `name`, if any.
pub fn function(name: &str) -> Option<*const u8> {
    use self::{
        args_env as a, clock as c, fd as f, path as p, poll as pl, proc as pr, random as r,
        sock as s,
    };
    Some(match name {
        "args_get" => a::args_get as *const () as *const u8,
        "args_sizes_get" => a::args_sizes_get as *const () as *const u8,
        "environ_get" => a::environ_get as *const () as *const u8,
        "environ_sizes_get" => a::environ_sizes_get as *const () as *const u8,
        "clock_res_get" => c::clock_res_get as *const () as *const u8,
        "clock_time_get" => c::clock_time_get as *const () as *const u8,
        "fd_close" => f::fd_close as *const () as *const u8,
        "fd_fdstat_get" => f::fd_fdstat_get as *const () as *const u8,
        "fd_prestat_get" => f::fd_prestat_get as *const () as *const u8,
        "fd_prestat_dir_name" => f::fd_prestat_dir_name as *const () as *const u8,
        "fd_read" => f::fd_read as *const () as *const u8,
        "fd_write" => f::fd_write as *const () as *const u8,
        "fd_seek" => f::fd_seek as *const () as *const u8,
        "fd_pread" => f::fd_pread as *const () as *const u8,
        "fd_pwrite" => f::fd_pwrite as *const () as *const u8,
        "fd_tell" => f::fd_tell as *const () as *const u8,
        "fd_sync" => f::fd_sync as *const () as *const u8,
        "fd_datasync" => f::fd_datasync as *const () as *const u8,
        "fd_filestat_get" => f::fd_filestat_get as *const () as *const u8,
        "fd_filestat_set_size" => f::fd_filestat_set_size as *const () as *const u8,
        "fd_fdstat_set_flags" => f::fd_fdstat_set_flags as *const () as *const u8,
        "fd_renumber" => f::fd_renumber as *const () as *const u8,
        "fd_advise" => f::fd_advise as *const () as *const u8,
        "fd_allocate" => f::fd_allocate as *const () as *const u8,
        "fd_fdstat_set_rights" => f::fd_fdstat_set_rights as *const () as *const u8,
        "fd_filestat_set_times" => f::fd_filestat_set_times as *const () as *const u8,
        "path_filestat_set_times" => p::path_filestat_set_times as *const () as *const u8,
        "sock_accept" => s::sock_accept as *const () as *const u8,
        "sock_recv" => s::sock_recv as *const () as *const u8,
        "sock_send" => s::sock_send as *const () as *const u8,
        "sock_shutdown" => s::sock_shutdown as *const () as *const u8,
        "path_open" => p::path_open as *const () as *const u8,
        "path_filestat_get" => p::path_filestat_get as *const () as *const u8,
        "path_create_directory" => p::path_create_directory as *const () as *const u8,
        "path_remove_directory" => p::path_remove_directory as *const () as *const u8,
        "path_unlink_file" => p::path_unlink_file as *const () as *const u8,
        "path_rename" => p::path_rename as *const () as *const u8,
        "path_symlink" => p::path_symlink as *const () as *const u8,
        "path_readlink" => p::path_readlink as *const () as *const u8,
        "path_link" => p::path_link as *const () as *const u8,
        "fd_readdir" => f::fd_readdir as *const () as *const u8,
        "poll_oneoff" => pl::poll_oneoff as *const () as *const u8,
        "proc_raise" => pr::proc_raise as *const () as *const u8,
        "proc_exit" => pr::proc_exit as *const () as *const u8,
        "sched_yield" => pr::sched_yield as *const () as *const u8,
        "random_get" => r::random_get as *const () as *const u8,
        _ => return None,
    })
}

/// The imports of a WASI command, bound to the host functions.
pub fn imports_for(info: &ModuleInfo) -> Result<Vec<Extern>, InstantiateError> {
    let mut v = Vec::with_capacity(info.imports.len());
    for imp in &info.imports {
        let unknown =
            || InstantiateError::Link(format!("unknown import: `{}::{}`", imp.module, imp.name));
        let ImportKind::Func(t) = imp.kind else {
            return Err(unknown());
        };
        if imp.module != kiln_abi::wasi::MODULE {
            return Err(unknown());
        }
        let (Some(code), Some((_, params, results))) =
            (function(&imp.name), kiln_abi::wasi::lookup(&imp.name))
        else {
            return Err(unknown());
        };
        let ty = FuncType {
            params: params.to_vec(),
            results: results.to_vec(),
        };
        if info.types[t as usize] != ty {
            return Err(InstantiateError::Link(format!(
                "incompatible import type for `{}::{}`",
                imp.module, imp.name
            )));
        }
        v.push(Extern::Func(Func::host(ty, code)));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_wasi_function_is_bound() {
        for (name, _, _) in kiln_abi::wasi::FUNCTIONS {
            assert!(super::function(name).is_some(), "{name}");
        }
    }
}
