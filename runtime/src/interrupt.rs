//! Interrupting every instance of the process at once (`--timeout`).
//!
//! Compiled code checks its own `vmctx.interrupt` (see `kiln_abi::vmctx`), but a program
//! has one instance per thread (wasi-threads: each spawned thread instantiates the module
//! afresh), and an instance exists, running its start function, before the executable's
//! entry has it in hand. So the timer does not set one flag: [`interrupt_all`] sets every
//! live instance's, and marks the process interrupted so that an instance registered later
//! (a thread spawned after the deadline, an instantiation still under way) starts with its
//! flag set and stops at its first check.
//!
//! One lock covers the list and the mark: an instance is either registered before the
//! timer fires (and gets its flag set by it) or after (and sets its own), never missed, and
//! never written after it unregistered (its vmctx is freed after [`unregister`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use kiln_abi::vmctx::{VmCtx, OFFSET_INTERRUPT};

struct Live {
    /// Set once by [`interrupt_all`]; never cleared (the process is ending).
    interrupted: bool,
    /// Every registered vmctx, as an address.
    vmctxs: Vec<usize>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    interrupted: false,
    vmctxs: Vec::new(),
});

fn live() -> std::sync::MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Sets `vmctx`'s interrupt flag.
///
/// # Safety
/// `vmctx` is a live context.
unsafe fn raise(vmctx: usize) {
    let flag = (vmctx + OFFSET_INTERRUPT as usize) as *const AtomicU64;
    // SAFETY: the caller's contract; the flag is an aligned u64 that compiled code reads
    // with atomic loads and nothing else writes concurrently but this module.
    unsafe { (*flag).store(1, Ordering::Relaxed) };
}

impl Live {
    fn register(&mut self, vmctx: usize) {
        if self.interrupted {
            // SAFETY: the caller registers a live context.
            unsafe { raise(vmctx) };
        }
        self.vmctxs.push(vmctx);
    }

    fn unregister(&mut self, vmctx: usize) {
        if let Some(i) = self.vmctxs.iter().position(|&v| v == vmctx) {
            self.vmctxs.swap_remove(i);
        }
    }

    fn interrupt_all(&mut self) {
        self.interrupted = true;
        for &v in &self.vmctxs {
            // SAFETY: registered contexts are live (unregistered before they are freed),
            // and the lock keeps them from being unregistered meanwhile.
            unsafe { raise(v) };
        }
    }
}

/// Adds a new instance's context (before any of its code runs); its flag is set at once
/// when the process is already interrupted.
pub fn register(vmctx: *mut VmCtx) {
    live().register(vmctx as usize);
}

/// Removes a context before it is freed.
pub fn unregister(vmctx: *mut VmCtx) {
    live().unregister(vmctx as usize);
}

/// Sets the interrupt flag of every live instance, and of every instance registered from
/// now on: code compiled with interruption checks traps `interrupt` at its next check.
pub fn interrupt_all() {
    live().interrupt_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_and_later_contexts_are_interrupted_and_gone_ones_untouched() {
        // A list of its own: the process's must stay uninterrupted for the other tests.
        let mut live = Live {
            interrupted: false,
            vmctxs: Vec::new(),
        };
        let mut a: VmCtx = unsafe { std::mem::zeroed() };
        let mut gone: VmCtx = unsafe { std::mem::zeroed() };
        let mut b: VmCtx = unsafe { std::mem::zeroed() };
        let addr = |v: &mut VmCtx| v as *mut VmCtx as usize;
        live.register(addr(&mut a));
        live.register(addr(&mut gone));
        live.unregister(addr(&mut gone));
        assert_eq!(a.interrupt, 0);
        live.interrupt_all();
        assert_eq!((a.interrupt, gone.interrupt), (1, 0));
        live.register(addr(&mut b));
        assert_eq!(b.interrupt, 1);
    }
}
