//! Threads of one program (wasi-threads): their ids, the OS threads that run them, and
//! the one way a threaded program ends.
//!
//! Each spawned wasm thread is an OS thread of its own with a native stack sized like the
//! main thread's budget ([`crate::stack`]: `max_wasm_stack` plus the host margin), its own
//! alternate signal stack and trap record (both per thread in [`crate::traps`]), and its
//! own instance; what the threads share is the program's memory and its WASI context.
//!
//! A trap or `proc_exit` in any thread ends the whole program, as the wasi-threads proposal
//! asks and `wasmtime run -S threads` does: [`end_process`] lets the first thread to end
//! the program print its report and exit with its status, and stops every later one
//! (whose report would otherwise interleave with it) before it prints anything.

use std::ffi::c_int;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Mutex;

/// The highest thread id (wasi-threads: ids are in `1..=0x1FFF_FFFF`).
pub const MAX_THREAD_ID: i32 = 0x1FFF_FFFF;

static NEXT_ID: AtomicI32 = AtomicI32::new(0);
static SPAWNED: AtomicBool = AtomicBool::new(false);
static ENDING: Mutex<bool> = Mutex::new(false);

/// The next thread id, counting from 1 as wasmtime does; `None` once they are used up.
pub fn next_id() -> Option<i32> {
    NEXT_ID
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            (v < MAX_THREAD_ID).then_some(v + 1)
        })
        .ok()
        .map(|v| v + 1)
}

/// Whether any thread was ever spawned in this process.
pub fn any_spawned() -> bool {
    SPAWNED.load(Ordering::Acquire)
}

/// Starts `run` on a new OS thread named `name` whose stack holds `max_wasm_stack` bytes of
/// wasm frames and the host code they call. `Err` when the OS refuses the thread.
pub fn spawn(
    name: String,
    max_wasm_stack: usize,
    run: impl FnOnce() + Send + 'static,
) -> std::io::Result<()> {
    SPAWNED.store(true, Ordering::Release);
    std::thread::Builder::new()
        .name(name)
        .stack_size(crate::stack::thread_stack_size(max_wasm_stack))
        .spawn(run)
        .map(drop)
}

/// Ends the program from any thread: prints `report` (a trap report, or nothing) on stderr
/// and exits with `status`, without running exit handlers while other threads still run
/// wasm (every byte the program wrote is already written: WASI output is unbuffered).
/// Only the first caller gets that far; any later one waits here for the end.
pub fn end_process(status: c_int, report: &str) -> ! {
    let mut ending = ENDING.lock().unwrap_or_else(|e| e.into_inner());
    if !*ending {
        *ending = true;
        if !report.is_empty() {
            let bytes = report.as_bytes();
            let mut done = 0;
            while done < bytes.len() {
                // SAFETY: writing bytes we own to stderr.
                let n =
                    unsafe { libc::write(2, bytes[done..].as_ptr().cast(), bytes.len() - done) };
                if n <= 0 {
                    break;
                }
                done += n.unsigned_abs();
            }
        }
        // SAFETY: _exit ends the process at once; nothing of ours needs tearing down.
        unsafe { libc::_exit(status) }
    }
    drop(ending);
    loop {
        std::thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_from_one_and_stop_at_the_maximum() {
        let a = next_id().unwrap();
        let b = next_id().unwrap();
        assert!(a >= 1 && b > a);
        NEXT_ID.store(MAX_THREAD_ID - 1, Ordering::Relaxed);
        assert_eq!(next_id(), Some(MAX_THREAD_ID));
        assert_eq!(next_id(), None);
        assert_eq!(next_id(), None);
    }
}
