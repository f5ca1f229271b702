//! `kiln run` is one process to its caller: while the compiled program runs, SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT sent to `kiln` are forwarded to it, `kiln` waits for it to
//! end (so the temporary directory is removed after it, in every case), and when a signal
//! ended it the `kiln` binary ends itself with the same signal ([`reraise_child_signal`]),
//! so a shell or a supervisor sees exactly what it would have seen running the program.

use std::io;
use std::process::{Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals a terminal, a supervisor or `kill` sends to stop a process.
const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The running child's pid, 0 while there is none.
static CHILD: AtomicI32 = AtomicI32::new(0);
/// A forwarded signal that arrived before the child existed (0: none).
static PENDING: AtomicI32 = AtomicI32::new(0);
/// The signal that ended the last program run (0: it exited).
static CHILD_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward(sig: libc::c_int) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe.
        unsafe { libc::kill(pid, sig) };
    } else {
        PENDING.store(sig, Ordering::SeqCst);
    }
}

/// Runs `cmd` to its end with the stop signals forwarded to it; restores their previous
/// dispositions afterwards.
pub fn run_forwarding(cmd: &mut Command) -> io::Result<ExitStatus> {
    // SAFETY: plain sigaction calls; `old` receives the previous dispositions.
    let mut old: [libc::sigaction; 4] = unsafe { std::mem::zeroed() };
    for (sig, old) in FORWARDED.iter().zip(old.iter_mut()) {
        // SAFETY: installing a handler that only reads atomics and calls kill.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = forward as extern "C" fn(libc::c_int) as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(*sig, &sa, old);
        }
    }
    let result = cmd.spawn().and_then(|mut child| {
        let pid = i32::try_from(child.id()).expect("pids fit in i32");
        CHILD.store(pid, Ordering::SeqCst);
        let pending = PENDING.swap(0, Ordering::SeqCst);
        if pending != 0 {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, pending) };
        }
        let status = child.wait();
        CHILD.store(0, Ordering::SeqCst);
        status
    });
    for (sig, old) in FORWARDED.iter().zip(old.iter()) {
        // SAFETY: restoring the dispositions saved above.
        unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
    }
    if let Ok(status) = &result {
        use std::os::unix::process::ExitStatusExt;
        CHILD_SIGNAL.store(status.signal().unwrap_or(0), Ordering::SeqCst);
    }
    result
}

/// When a signal ended the last program [`run_forwarding`] ran, ends this process with the
/// same signal (its default action, core dumps aside); otherwise returns. Only for the `kiln`
/// binary, after everything is cleaned up.
pub fn reraise_child_signal() {
    let sig = CHILD_SIGNAL.load(Ordering::SeqCst);
    if sig == 0 {
        return;
    }
    // SAFETY: resetting a disposition and signalling ourselves.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
}
