//! `poll_oneoff`: waits for clock timeouts and fd readiness with `poll(2)`.

use kiln_abi::vmctx::VmCtx;

use super::clock::{host_clock, now};
use super::errno::{self, Errno};
use super::guest::Guest;
use super::{with, WasiCtx};

const SUB_SIZE: u32 = 48;
const EVENT_SIZE: u32 = 32;
const TAG_CLOCK: u8 = 0;
const TAG_FD_READ: u8 = 1;
const TAG_FD_WRITE: u8 = 2;

struct Event {
    userdata: u64,
    error: Errno,
    tag: u8,
    nbytes: u64,
}

fn write_events(mem: &Guest, out: u32, events: &[Event], nevents: u32) -> Result<(), Errno> {
    for (i, ev) in events.iter().enumerate() {
        let b = mem.bytes(out + i as u32 * EVENT_SIZE, EVENT_SIZE)?;
        b.fill(0);
        b[0..8].copy_from_slice(&ev.userdata.to_le_bytes());
        b[8..10].copy_from_slice(&ev.error.to_le_bytes());
        b[10] = ev.tag;
        b[16..24].copy_from_slice(&ev.nbytes.to_le_bytes());
    }
    mem.write_u32(nevents, events.len() as u32)
}

fn poll(
    cx: &WasiCtx,
    mem: &Guest,
    input: u32,
    out: u32,
    n: u32,
    nevents: u32,
) -> Result<(), Errno> {
    if n == 0 {
        return Err(errno::INVAL);
    }
    mem.check_struct(input, n.checked_mul(SUB_SIZE).ok_or(errno::INVAL)?, 8)?;
    mem.check_struct(out, n.checked_mul(EVENT_SIZE).ok_or(errno::INVAL)?, 8)?;
    mem.check_struct(nevents, 4, 4)?;
    let mut events = Vec::new();
    let mut fds: Vec<libc::pollfd> = Vec::new();
    let mut fd_subs = Vec::new();
    // (userdata, deadline in CLOCK_MONOTONIC ns)
    let mut clocks: Vec<(u64, u64)> = Vec::new();
    let start = now(libc::CLOCK_MONOTONIC)?;
    for i in 0..n {
        let s = input + i * SUB_SIZE;
        let userdata = mem.read_u64(s)?;
        let tag = mem.bytes(s + 8, 1)?[0];
        match tag {
            TAG_CLOCK => {
                let id = mem.read_u32(s + 16)?;
                let timeout = mem.read_u64(s + 24)?;
                let flags = u16::from_le_bytes(mem.bytes(s + 40, 2)?.try_into().expect("2"));
                let clock = match host_clock(id) {
                    Ok(c) => c,
                    Err(e) => {
                        events.push(Event {
                            userdata,
                            error: e,
                            tag,
                            nbytes: 0,
                        });
                        continue;
                    }
                };
                let rel = if flags & 1 != 0 {
                    timeout.saturating_sub(now(clock)?)
                } else {
                    timeout
                };
                clocks.push((userdata, start.saturating_add(rel)));
            }
            TAG_FD_READ | TAG_FD_WRITE => {
                let fd = mem.read_u32(s + 16)?;
                match cx.entry(fd) {
                    Ok(e) => {
                        let ev = if tag == TAG_FD_READ {
                            libc::POLLIN
                        } else {
                            libc::POLLOUT
                        };
                        fds.push(libc::pollfd {
                            fd: e.host,
                            events: ev,
                            revents: 0,
                        });
                        fd_subs.push((userdata, tag));
                    }
                    Err(e) => events.push(Event {
                        userdata,
                        error: e,
                        tag,
                        nbytes: 0,
                    }),
                }
            }
            _ => return Err(errno::INVAL),
        }
    }
    if events.is_empty() {
        let deadline = clocks.iter().map(|c| c.1).min();
        loop {
            let timeout_ms = match deadline {
                None => -1,
                Some(d) => {
                    let left = d.saturating_sub(now(libc::CLOCK_MONOTONIC)?);
                    i32::try_from(left.div_ceil(1_000_000)).unwrap_or(i32::MAX)
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
            break;
        }
        for (p, &(userdata, tag)) in fds.iter().zip(&fd_subs) {
            if p.revents != 0 {
                let error = if p.revents & libc::POLLNVAL != 0 {
                    errno::BADF
                } else {
                    0
                };
                events.push(Event {
                    userdata,
                    error,
                    tag,
                    nbytes: 0,
                });
            }
        }
        if events.is_empty() {
            let t = now(libc::CLOCK_MONOTONIC)?;
            for &(userdata, d) in &clocks {
                if d <= t {
                    events.push(Event {
                        userdata,
                        error: 0,
                        tag: TAG_CLOCK,
                        nbytes: 0,
                    });
                }
            }
        }
    }
    write_events(mem, out, &events, nevents)
}

pub(crate) extern "C" fn poll_oneoff(
    vmctx: *mut VmCtx,
    input: u32,
    out: u32,
    n: u32,
    nevents: u32,
) -> u32 {
    // SAFETY: called by compiled code with its vmctx.
    unsafe { with(vmctx, |cx, mem| poll(cx, mem, input, out, n, nevents)) }
}
