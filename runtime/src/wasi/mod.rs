//! WASI preview1 (`wasi_snapshot_preview1`): the context an instance runs with
//! ([`WasiCtx`]: args, environment, the fd table with its preopens) and the host functions,
//! one file per family. Each host function is an `extern "C" fn(vmctx, params...) -> errno`
//! bound by name from [`kiln_abi::wasi::FUNCTIONS`]; guest pointers go through
//! [`guest::Guest`]. Functions not implemented yet return `ENOSYS`.

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

/// What an fd refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FdKind {
    /// The process's own stdin/stdout/stderr (never closed by the runtime).
    Stdio,
    File,
    Dir,
}

/// One entry of the guest's fd table.
#[derive(Debug)]
pub struct FdEntry {
    pub host: RawFd,
    pub kind: FdKind,
    /// The guest path of a preopened directory.
    pub preopen: Option<Vec<u8>>,
    pub rights_base: u64,
    pub rights_inheriting: u64,
}

impl Drop for FdEntry {
    fn drop(&mut self) {
        if self.kind != FdKind::Stdio {
            // SAFETY: the entry owns its host fd.
            unsafe { libc::close(self.host) };
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
    pub(crate) fds: Vec<Option<FdEntry>>,
}

impl WasiCtx {
    /// No args, no environment, stdio on fds 0-2 and no preopens.
    pub fn new() -> WasiCtx {
        let stdio = |host| {
            Some(FdEntry {
                host,
                kind: FdKind::Stdio,
                preopen: None,
                rights_base: fd::RIGHTS_STDIO,
                rights_inheriting: 0,
            })
        };
        WasiCtx {
            args: Vec::new(),
            env: Vec::new(),
            fds: vec![stdio(0), stdio(1), stdio(2)],
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
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(format!(
                "cannot open directory {host:?}: {}",
                std::io::Error::last_os_error()
            ));
        }
        self.fds.push(Some(FdEntry {
            host: fd,
            kind: FdKind::Dir,
            preopen: Some(guest.as_bytes().to_vec()),
            rights_base: fd::RIGHTS_DIR_BASE,
            rights_inheriting: fd::RIGHTS_DIR_INHERITING,
        }));
        Ok(self)
    }

    pub(crate) fn entry(&self, fd: u32) -> Result<&FdEntry, Errno> {
        self.fds
            .get(fd as usize)
            .and_then(Option::as_ref)
            .ok_or(errno::BADF)
    }

    /// Puts `e` in the lowest free slot; its fd.
    pub(crate) fn insert(&mut self, e: FdEntry) -> Result<u32, Errno> {
        let i = match self.fds.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.fds.push(None);
                self.fds.len() - 1
            }
        };
        self.fds[i] = Some(e);
        u32::try_from(i).map_err(|_| errno::NOTSUP)
    }
}

/// Runs `f` with the calling instance's WASI context and memory; the errno as `u32`.
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
        Err(e) => u32::from(e),
    }
}

extern "C" fn nosys() -> u32 {
    u32::from(errno::NOSYS)
}

/// The host function implementing `name`, if any.
pub fn function(name: &str) -> Option<*const u8> {
    use self::{
        args_env as a, clock as c, fd as f, path as p, poll as pl, proc as pr, random as r,
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
        _ if kiln_abi::wasi::lookup(name).is_some() => nosys as *const () as *const u8,
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
