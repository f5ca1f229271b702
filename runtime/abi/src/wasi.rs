//! The WASI functions the runtime provides, with their core wasm signatures: those of
//! `wasi_snapshot_preview1` and of the older `wasi_unstable` (snapshot 0), whose functions
//! have the same core signatures but for `sock_accept`, which it lacks. The compiler checks
//! a command's imports against these lists ([`lookup_import`]); the runtime implements each
//! as `extern "C" fn(vmctx, params...) -> results` and binds it by module and name.

use crate::info::ValType::{self, I32, I64};

pub const MODULE: &str = "wasi_snapshot_preview1";

/// Snapshot 0, which older SDKs target; wasmtime links it next to preview1.
pub const UNSTABLE_MODULE: &str = "wasi_unstable";

/// (name, params, results)
pub type Signature = (&'static str, &'static [ValType], &'static [ValType]);

const E: &[ValType] = &[I32];

pub const FUNCTIONS: &[Signature] = &[
    ("args_get", &[I32, I32], E),
    ("args_sizes_get", &[I32, I32], E),
    ("environ_get", &[I32, I32], E),
    ("environ_sizes_get", &[I32, I32], E),
    ("clock_res_get", &[I32, I32], E),
    ("clock_time_get", &[I32, I64, I32], E),
    ("fd_advise", &[I32, I64, I64, I32], E),
    ("fd_allocate", &[I32, I64, I64], E),
    ("fd_close", &[I32], E),
    ("fd_datasync", &[I32], E),
    ("fd_fdstat_get", &[I32, I32], E),
    ("fd_fdstat_set_flags", &[I32, I32], E),
    ("fd_fdstat_set_rights", &[I32, I64, I64], E),
    ("fd_filestat_get", &[I32, I32], E),
    ("fd_filestat_set_size", &[I32, I64], E),
    ("fd_filestat_set_times", &[I32, I64, I64, I32], E),
    ("fd_pread", &[I32, I32, I32, I64, I32], E),
    ("fd_prestat_get", &[I32, I32], E),
    ("fd_prestat_dir_name", &[I32, I32, I32], E),
    ("fd_pwrite", &[I32, I32, I32, I64, I32], E),
    ("fd_read", &[I32, I32, I32, I32], E),
    ("fd_readdir", &[I32, I32, I32, I64, I32], E),
    ("fd_renumber", &[I32, I32], E),
    ("fd_seek", &[I32, I64, I32, I32], E),
    ("fd_sync", &[I32], E),
    ("fd_tell", &[I32, I32], E),
    ("fd_write", &[I32, I32, I32, I32], E),
    ("path_create_directory", &[I32, I32, I32], E),
    ("path_filestat_get", &[I32, I32, I32, I32, I32], E),
    (
        "path_filestat_set_times",
        &[I32, I32, I32, I32, I64, I64, I32],
        E,
    ),
    ("path_link", &[I32, I32, I32, I32, I32, I32, I32], E),
    (
        "path_open",
        &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
        E,
    ),
    ("path_readlink", &[I32, I32, I32, I32, I32, I32], E),
    ("path_remove_directory", &[I32, I32, I32], E),
    ("path_rename", &[I32, I32, I32, I32, I32, I32], E),
    ("path_symlink", &[I32, I32, I32, I32, I32], E),
    ("path_unlink_file", &[I32, I32, I32], E),
    ("poll_oneoff", &[I32, I32, I32, I32], E),
    ("proc_exit", &[I32], &[]),
    ("proc_raise", &[I32], E),
    ("sched_yield", &[], E),
    ("random_get", &[I32, I32], E),
    ("sock_accept", &[I32, I32, I32], E),
    ("sock_recv", &[I32, I32, I32, I32, I32, I32], E),
    ("sock_send", &[I32, I32, I32, I32, I32], E),
    ("sock_shutdown", &[I32, I32], E),
];

/// The preview1 functions snapshot 0 does not have (it came before them).
const NOT_IN_UNSTABLE: &[&str] = &["sock_accept"];

/// A preview1 function by name.
pub fn lookup(name: &str) -> Option<&'static Signature> {
    FUNCTIONS.iter().find(|(n, _, _)| *n == name)
}

/// wasi-threads (as `wasmtime run -S threads`): the module and name of the one function it
/// adds, `thread-spawn(start_arg: i32) -> i32` (a thread id > 0, or < 0 for failure), and
/// the export each spawned thread runs, `wasi_thread_start(tid: i32, start_arg: i32)`.
pub const THREADS_MODULE: &str = "wasi";
pub const THREAD_SPAWN: &str = "thread-spawn";
pub const THREAD_SPAWN_SIGNATURE: Signature = (THREAD_SPAWN, &[I32], E);
pub const THREAD_START: &str = "wasi_thread_start";

/// The signature of the function `module.name` if the runtime provides it: a WASI function
/// of either snapshot, or wasi-threads' `thread-spawn`.
pub fn lookup_import(module: &str, name: &str) -> Option<&'static Signature> {
    match module {
        MODULE => lookup(name),
        UNSTABLE_MODULE if !NOT_IN_UNSTABLE.contains(&name) => lookup(name),
        THREADS_MODULE if name == THREAD_SPAWN => Some(&THREAD_SPAWN_SIGNATURE),
        _ => None,
    }
}

/// The functions `wasi_unstable` provides, each with the signature of its preview1
/// namesake.
pub fn unstable_functions() -> impl Iterator<Item = &'static Signature> {
    FUNCTIONS
        .iter()
        .filter(|(n, _, _)| !NOT_IN_UNSTABLE.contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_is_preview1_without_sock_accept() {
        assert_eq!(unstable_functions().count(), FUNCTIONS.len() - 1);
        assert!(lookup_import(UNSTABLE_MODULE, "sock_accept").is_none());
        assert!(lookup_import(MODULE, "sock_accept").is_some());
        assert_eq!(
            lookup_import(UNSTABLE_MODULE, "fd_seek"),
            lookup_import(MODULE, "fd_seek")
        );
        assert!(lookup_import("wasi", "fd_write").is_none());
    }
}
