//! WASI preview1 (`wasi_snapshot_preview1`): the context an instance runs with
//! ([`WasiCtx`]: args, environment, the fd table with its preopens; in `ctx.rs`), the
//! interface's constants ([`constants`]) and the host functions, one file per family. Each
//! host function is an `extern "C" fn(vmctx, params...) -> errno`; this file binds them by
//! name from [`kiln_abi::wasi::FUNCTIONS`]. Guest pointers go through [`guest::Guest`].
//! Snapshot 0 (`wasi_unstable`) is built on the preview1 functions in [`unstable`]; a
//! module may import from either or both.
//!
//! WASI sits on the VM layer: it binds its functions as VM host functions
//! (`imports_for`) and finds its context in the calling instance's host state
//! (`ctx::with`); it never goes through the embedding API. The semantics are
//! `wasmtime run`'s (wasmtime 49, Linux): same errno values, same fd numbering, same file
//! types and rights reported.

pub mod args_env;
mod beneath;
pub mod clock;
pub mod constants;
mod ctx;
pub mod errno;
pub mod fd;
pub mod guest;
pub mod path;
pub mod poll;
pub mod proc;
pub mod random;
pub mod sock;
pub mod thread;
pub mod unstable;

use std::sync::Arc;

use kiln_abi::info::{FuncType, ImportKind, ModuleInfo};

use crate::externs::{VmExtern, VmFunc};
use crate::instance::InstantiateError;
use crate::memory::LinearMemory;

pub(crate) use ctx::host_state;
pub use ctx::{Desc, File, HostFd, WasiCtx};

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

/// The host function implementing `module.name`, if any (either snapshot, and
/// wasi-threads' `thread-spawn`).
pub fn function_for(module: &str, name: &str) -> Option<*const u8> {
    match module {
        kiln_abi::wasi::MODULE => function(name),
        kiln_abi::wasi::UNSTABLE_MODULE => unstable::function(name),
        kiln_abi::wasi::THREADS_MODULE if name == kiln_abi::wasi::THREAD_SPAWN => {
            Some(thread::thread_spawn as *const () as *const u8)
        }
        _ => None,
    }
}

/// The imports of a WASI command, bound to the host functions: WASI functions of either
/// snapshot, wasi-threads' `thread-spawn`, and for an imported shared memory (a wasi-threads
/// program imports its memory) a new memory of the import's type, as `wasmtime run -S
/// threads` makes one (an unshared memory import is unknown, as there). A spawned thread
/// passes its program's imported memories as `memories`.
/// `max_memory` caps a memory made for an import (`--max-memory`).
pub(crate) fn imports_for(
    info: &ModuleInfo,
    max_memory: Option<u64>,
) -> Result<Vec<VmExtern>, InstantiateError> {
    imports_sharing(info, None, max_memory)
}

/// [`imports_for`], with the imported memories given (`memories[k]` for the `k`-th memory
/// import) instead of made.
pub(crate) fn imports_sharing(
    info: &ModuleInfo,
    memories: Option<&[Arc<LinearMemory>]>,
    max_memory: Option<u64>,
) -> Result<Vec<VmExtern>, InstantiateError> {
    let mut v = Vec::with_capacity(info.imports.len());
    let mut memory_imports = 0;
    for imp in &info.imports {
        let unknown =
            || InstantiateError::Link(format!("unknown import: `{}::{}`", imp.module, imp.name));
        let t = match imp.kind {
            ImportKind::Func(t) => t,
            ImportKind::Memory(mt) if mt.shared => {
                let k = memory_imports;
                memory_imports += 1;
                let memory = match memories {
                    Some(given) => given.get(k).cloned().ok_or_else(unknown)?,
                    None => Arc::new(
                        LinearMemory::at(mt, max_memory, info.memory0_base.filter(|_| k == 0))
                            .map_err(InstantiateError::Other)?,
                    ),
                };
                v.push(VmExtern::Memory(memory));
                continue;
            }
            _ => return Err(unknown()),
        };
        let (Some(code), Some((_, params, results))) = (
            function_for(&imp.module, &imp.name),
            kiln_abi::wasi::lookup_import(&imp.module, &imp.name),
        ) else {
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
        v.push(VmExtern::Func(VmFunc::host(ty, code)));
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
