//! `poll_oneoff`: waits for clock timeouts and fd readiness with `poll(2)`, as `wasmtime
//! run` reports them: a lone relative clock just sleeps (its event has `nbytes` 1), files
//! are always ready, a subscription on an fd that cannot be polled fails the whole call.

use kiln_abi::vmctx::VmCtx;

use super::clock::now;
use super::constants::clockid;
use super::constants::eventrwflags::FD_READWRITE_HANGUP;
use super::constants::eventtype::{CLOCK, FD_READ, FD_WRITE};
use super::constants::subclockflags::SUBSCRIPTION_CLOCK_ABSTIME as ABSTIME;
use std::sync::Mutex;

use super::ctx::{lock, with_shared, Desc, WasiCtx};
use super::errno::{self, Errno};
use super::guest::{advance, Guest, HOSTCALL_FUEL};

const SUB_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;

struct Event {
    userdata: u64,
    tag: u8,
    nbytes: u64,
    flags: u16,
}

fn event_bytes(ev: &Event) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0..8].copy_from_slice(&ev.userdata.to_le_bytes());
    b[10] = ev.tag;
    b[16..24].copy_from_slice(&ev.nbytes.to_le_bytes());
    b[24..26].copy_from_slice(&ev.flags.to_le_bytes());
    b
}

/// One decoded subscription.
enum Sub {
    /// Deadline on CLOCK_MONOTONIC, in ns.
    Clock(u64),
    /// A host fd to poll, or `None` for one that is always ready (a file).
    Fd { host: Option<i32>, hangup: bool },
}

fn sleep_ns(ns: u64) {
    let mut ts = libc::timespec {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_nsec: (ns % 1_000_000_000) as i64,
    };
    // SAFETY: valid timespecs; the remaining time is written back on EINTR.
    while unsafe { libc::nanosleep(&ts, &mut ts) } != 0 {}
}

fn decode(cx: &WasiCtx, mem: &Guest, s: u32, start: u64) -> Result<(u64, u8, Sub), Errno> {
    let s = mem.structure(s, SUB_SIZE, 8)?;
    let userdata = s.u64(0);
    let tag = s.u8(8);
    match tag {
        CLOCK => {
            let id = s.u32(16);
            let timeout = s.u64(24);
            let flags = s.u16(40);
            if flags & !ABSTIME != 0 {
                return Err(errno::INVAL);
            }
            let rel = match (id, flags & ABSTIME != 0) {
                (clockid::REALTIME | clockid::MONOTONIC, false) => timeout,
                (clockid::MONOTONIC, true) => timeout.saturating_sub(now(libc::CLOCK_MONOTONIC)?),
                (clockid::REALTIME, true) => timeout.saturating_sub(now(libc::CLOCK_REALTIME)?),
                // CPU-time clocks (and unknown ids) cannot be waited on, as in wasmtime.
                _ => return Err(errno::INVAL),
            };
            Ok((userdata, tag, Sub::Clock(start.saturating_add(rel))))
        }
        FD_READ | FD_WRITE => {
            let fd = s.u32(16);
            let read = tag == FD_READ;
            let sub = match (cx.entry(fd)?, read) {
                (Desc::Stdin, true) => Sub::Fd {
                    host: Some(0),
                    hangup: false,
                },
                (Desc::Stdout, false) => Sub::Fd {
                    host: Some(1),
                    hangup: false,
                },
                (Desc::Stderr, false) => Sub::Fd {
                    host: Some(2),
                    hangup: false,
                },
                (Desc::File(f), true) => {
                    let size = super::fd::fstat(f.fd.0)?.st_size as u64;
                    Sub::Fd {
                        host: None,
                        hangup: size <= f.pos,
                    }
                }
                (Desc::File(_), false) => Sub::Fd {
                    host: None,
                    hangup: false,
                },
                (Desc::Listener { fd } | Desc::Stream { fd, .. }, _) => Sub::Fd {
                    host: Some(fd.0),
                    hangup: false,
                },
                _ => return Err(errno::BADF),
            };
            Ok((userdata, tag, sub))
        }
        _ => Err(errno::INVAL),
    }
}

/// Waits for the `n` subscriptions at `input` and writes their events at `out`; returns
/// how many. Waits without holding the context's lock (other threads go on making WASI
/// calls); the table is looked at only while the subscriptions are decoded. (A socket
/// another thread closes meanwhile is the program racing with itself: at worst the wait
/// watches whatever the host fd number names next.)
pub(crate) fn poll(
    cx: &Mutex<WasiCtx>,
    mem: &Guest,
    input: u32,
    out: u32,
    n: u32,
) -> Result<u32, Errno> {
    if n == 0 {
        return Err(errno::INVAL);
    }
    // As wasmtime, a subscription array past the per-call limit is refused before it is read.
    if u64::from(n) * u64::from(SUB_SIZE) > HOSTCALL_FUEL {
        return Err(errno::NOMEM);
    }
    // A lone relative clock: sleep.
    if n == 1 {
        let sub = mem.structure(input, SUB_SIZE, 8)?;
        let (tag, flags, id) = (sub.u8(8), sub.u8(40), sub.u32(16));
        if tag == CLOCK && u16::from(flags) & ABSTIME == 0 && id <= clockid::THREAD_CPUTIME_ID {
            let userdata = sub.u64(0);
            sleep_ns(sub.u64(24));
            let ev = Event {
                userdata,
                tag,
                nbytes: 1,
                flags: 0,
            };
            mem.structure(out, EVENT_SIZE, 8)?
                .write(0, &event_bytes(&ev));
            return Ok(1);
        }
    }
    let start = now(libc::CLOCK_MONOTONIC)?;
    let mut subs = Vec::with_capacity(n as usize);
    {
        let cx = lock(cx);
        let mut s = input;
        for i in 0..n {
            if i > 0 {
                s = advance(s, SUB_SIZE.into())?;
            }
            subs.push(decode(&cx, mem, s, start)?);
        }
    }
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut fd_index = vec![None; subs.len()];
    let mut always = false;
    for (i, (_, tag, sub)) in subs.iter().enumerate() {
        if let Sub::Fd { host, .. } = sub {
            match host {
                Some(h) => {
                    fd_index[i] = Some(fds.len());
                    fds.push(libc::pollfd {
                        fd: *h,
                        events: if *tag == FD_READ {
                            libc::POLLIN
                        } else {
                            libc::POLLOUT
                        },
                        revents: 0,
                    });
                }
                None => always = true,
            }
        }
    }
    let deadline = subs
        .iter()
        .filter_map(|(_, _, s)| match s {
            Sub::Clock(d) => Some(*d),
            Sub::Fd { .. } => None,
        })
        .min();
    loop {
        let timeout_ms = if always {
            0
        } else {
            match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_sub(now(libc::CLOCK_MONOTONIC)?);
                    i32::try_from(left.div_ceil(1_000_000)).unwrap_or(i32::MAX)
                }
            }
        };
        // SAFETY: `fds` is a valid array of pollfd.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout_ms) };
        if r < 0 {
            let e = errno::last();
            if e == errno::from_host(libc::EINTR) {
                continue;
            }
            return Err(e);
        }
        let t = now(libc::CLOCK_MONOTONIC)?;
        let clock_due = deadline.is_some_and(|d| d <= t);
        if r > 0 || always || clock_due {
            break;
        }
    }
    let t = now(libc::CLOCK_MONOTONIC)?;
    let mut events = Vec::new();
    for (i, (userdata, tag, sub)) in subs.iter().enumerate() {
        let ready = match sub {
            Sub::Clock(d) => *d <= t,
            Sub::Fd { host: None, .. } => true,
            Sub::Fd { .. } => fd_index[i].is_some_and(|k| fds[k].revents != 0),
        };
        if !ready {
            continue;
        }
        events.push(match sub {
            Sub::Clock(_) => Event {
                userdata: *userdata,
                tag: *tag,
                nbytes: 0,
                flags: 0,
            },
            Sub::Fd { hangup, .. } => Event {
                userdata: *userdata,
                tag: *tag,
                nbytes: 1,
                flags: if *hangup { FD_READWRITE_HANGUP } else { 0 },
            },
        });
    }
    let mut at = out;
    for (i, ev) in events.iter().enumerate() {
        if i > 0 {
            at = advance(at, EVENT_SIZE.into())?;
        }
        mem.structure(at, EVENT_SIZE, 8)?.write(0, &event_bytes(ev));
    }
    Ok(u32::try_from(events.len()).expect("at most nsubscriptions, a u32"))
}

pub(crate) extern "C" fn poll_oneoff(
    vmctx: *mut VmCtx,
    input: u32,
    out: u32,
    n: u32,
    nevents: u32,
) -> u32 {
    let call = |cx: &Mutex<WasiCtx>, mem: &Guest| -> Result<(), Errno> {
        let k = poll(cx, mem, input, out, n)?;
        mem.write_u32(nevents, k)
    };
    // SAFETY: compiled code calls host functions with its own live vmctx.
    unsafe { with_shared(vmctx, call) }
}
