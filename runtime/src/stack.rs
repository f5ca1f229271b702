//! Native stack budget for wasm: `vmctx.stack_limit` and, when the current thread's stack
//! is too small, a thread with a big enough one.
//!
//! ```text
//!   higher addresses
//!   | host frames (entry)      |  ◄─ sp at the outermost call into wasm
//!   | wasm frames              |  max_wasm_stack bytes (RunConfig; default 1 MiB)
//!   +--------------------------+  ◄─ stack_limit: Cranelift's prologue check traps below it
//!   | host calls made by wasm  |  HOST_MARGIN bytes (WASI shims, signal-free Rust code,
//!   |                          |  and small frames that skip the check: see vmctx.rs)
//!   +--------------------------+  must stay above the thread's lowest usable address
//! ```
//!
//! Every instance created on a thread (its "store") gets the same limit at each outermost
//! entry, because wasm of one instance calls into others without passing through the host.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use kiln_abi::vmctx::VmCtx;

use crate::arch::stack_pointer;

/// Native stack the host code called from wasm may use below the limit.
pub const HOST_MARGIN: usize = 256 * 1024;
// Two small unchecked frames may end below the limit (see the constant), and so may host
// code that calls back into wasm: the two stay a small part of the margin.
const _: () = assert!(HOST_MARGIN >= 8 * 2 * kiln_abi::vmctx::UNCHECKED_FRAME_MAX as usize);
/// Wasm's stack when the RunConfig says 0.
pub const DEFAULT_MAX_WASM_STACK: usize = 1 << 20;

thread_local! {
    static STACK_LOW: Cell<usize> = const { Cell::new(0) };
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static STORE: Cell<u64> = const { Cell::new(0) };
}

static NEXT_STORE: AtomicU64 = AtomicU64::new(1);
/// Every live vmctx with the store (thread) that created it.
static LIVE: Mutex<Vec<(usize, u64)>> = Mutex::new(Vec::new());

fn store_id() -> u64 {
    STORE.with(|s| {
        if s.get() == 0 {
            s.set(NEXT_STORE.fetch_add(1, Ordering::Relaxed));
        }
        s.get()
    })
}

pub fn register(vmctx: *mut VmCtx) {
    let id = store_id();
    LIVE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((vmctx as usize, id));
}

pub fn unregister(vmctx: *mut VmCtx) {
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(i) = live.iter().position(|&(v, _)| v == vmctx as usize) {
        live.swap_remove(i);
    }
}

fn set_limits(entered: *mut VmCtx, limit: usize) {
    let id = store_id();
    // SAFETY: registered contexts are live (unregistered before they are freed).
    unsafe { (*entered).stack_limit = limit };
    for &(v, s) in LIVE.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        if s == id {
            // SAFETY: as above.
            unsafe { (*(v as *mut VmCtx)).stack_limit = limit };
        }
    }
}

/// The lowest address this thread's stack can safely reach (cached).
fn stack_low() -> usize {
    let cached = STACK_LOW.with(Cell::get);
    if cached != 0 {
        return cached;
    }
    // SAFETY: plain queries about the current thread and process.
    let low = unsafe {
        if libc::getpid() == libc::gettid() {
            // The main thread's stack grows on demand up to RLIMIT_STACK below its top.
            // The executable's file name (AT_EXECFN) is among the strings the kernel puts
            // at the very top (glibc's `__libc_stack_end` is not in musl); leave a guard
            // below.
            let mut rl: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_STACK, &mut rl);
            let size = if rl.rlim_cur == libc::RLIM_INFINITY {
                64 << 20
            } else {
                usize::try_from(rl.rlim_cur).unwrap_or(64 << 20)
            };
            let top = usize::try_from(libc::getauxval(libc::AT_EXECFN))
                .ok()
                .filter(|&t| t != 0)
                .unwrap_or_else(stack_pointer);
            top.saturating_sub(size) + (256 << 10)
        } else {
            let mut attr: libc::pthread_attr_t = std::mem::zeroed();
            let mut addr: *mut libc::c_void = std::ptr::null_mut();
            let mut size = 0usize;
            if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) == 0 {
                libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
                libc::pthread_attr_destroy(&mut attr);
            }
            if addr.is_null() {
                // Unknown: assume only what we can see is safe.
                stack_pointer().saturating_sub(512 << 10)
            } else {
                addr as usize + (32 << 10)
            }
        }
    };
    STACK_LOW.with(|c| c.set(low));
    low
}

/// The stack size of a thread made to run `max_wasm_stack` bytes of wasm (0: the default)
/// with room for the host code it calls and for the thread's own start.
pub fn thread_stack_size(max_wasm_stack: usize) -> usize {
    let max = if max_wasm_stack == 0 {
        DEFAULT_MAX_WASM_STACK
    } else {
        max_wasm_stack
    };
    max + HOST_MARGIN + (1 << 20)
}

/// Runs `f` (which calls into wasm through `vmctx`) with the stack limit of every instance
/// of this store set for `max_wasm_stack` bytes of wasm stack; on a new thread when this
/// one's stack cannot hold that plus [`HOST_MARGIN`].
pub fn with_wasm_stack<R>(vmctx: *mut VmCtx, max_wasm_stack: usize, f: impl FnOnce() -> R) -> R {
    let max = if max_wasm_stack == 0 {
        DEFAULT_MAX_WASM_STACK
    } else {
        max_wasm_stack
    };
    if DEPTH.with(Cell::get) > 0 {
        return nested(f);
    }
    let here = stack_pointer();
    let fits = here
        .checked_sub(max + HOST_MARGIN)
        .is_some_and(|bottom| bottom >= stack_low());
    if fits {
        set_limits(vmctx, here - max);
        return nested(f);
    }
    // Not enough stack on this thread: run on one with enough, as the same store.
    let store = store_id();
    let job = AssertSend(f);
    let vm = AssertSend(vmctx);
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("kiln-wasm".into())
            .stack_size(thread_stack_size(max))
            .spawn_scoped(s, move || {
                let job = job;
                let vm = vm;
                STORE.with(|c| c.set(store));
                let here = stack_pointer();
                set_limits(vm.0, here - max);
                AssertSend(nested(job.0))
            })
            .expect("kiln: cannot spawn a thread for wasm's stack")
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
            .0
    })
}

fn nested<R>(f: impl FnOnce() -> R) -> R {
    struct Depth;
    impl Drop for Depth {
        fn drop(&mut self) {
            DEPTH.with(|d| d.set(d.get() - 1));
        }
    }
    DEPTH.with(|d| d.set(d.get() + 1));
    let _d = Depth;
    f()
}

struct AssertSend<T>(T);
// SAFETY: the spawning thread blocks until the scoped thread ends, so the values are used
// by one thread at a time, as if on the caller's thread.
unsafe impl<T> Send for AssertSend<T> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_below_sp_and_above_low() {
        let mut vm: VmCtx = unsafe { std::mem::zeroed() };
        let vmp: *mut VmCtx = &mut vm;
        let (limit, sp_in) =
            with_wasm_stack(vmp, 0, || (unsafe { (*vmp).stack_limit }, stack_pointer()));
        assert!(limit < sp_in && sp_in - limit <= DEFAULT_MAX_WASM_STACK + 4096);
        assert!(limit - HOST_MARGIN >= stack_low());
    }

    #[test]
    fn big_stack_spawns_a_thread() {
        let mut vm: VmCtx = unsafe { std::mem::zeroed() };
        let vmp: *mut VmCtx = &mut vm;
        let max = 64 << 20;
        let limit = with_wasm_stack(vmp, max, || unsafe { (*vmp).stack_limit });
        assert!(limit != 0);
    }
}
