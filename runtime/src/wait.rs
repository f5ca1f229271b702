//! The wait queues behind `memory.atomic.wait32/64` and `memory.atomic.notify` on shared
//! memories: a parking table keyed by the native address of the waited-on cell.
//!
//! Why a table of `Mutex` + `Condvar` rather than a futex on the cell itself: a futex
//! compares 32 bits, and `wait64` must compare 64 bits atomically with going to sleep; a
//! futex wake reports how many threads it woke only approximately once timeouts race it,
//! while `notify` must return exactly how many waiters it woke; and the table is the same
//! code on every target. The table is sharded into `BUCKETS` mutexes by address, each
//! holding the queues of the addresses that hash to it, in arrival order (`notify` wakes
//! the oldest waiters first, as the proposal's semantics describe).
//!
//! Correctness rests on one lock: a waiter compares the cell's value and enqueues itself
//! under its bucket's mutex, and a notifier dequeues under the same mutex. A store followed
//! by a `notify` in another thread therefore either happens before the waiter's compare (it
//! sees the new value and returns "not-equal") or finds the waiter queued and wakes it; no
//! wake-up is lost. Each waiter has its own condition variable and a `woken` flag that only
//! a notifier sets, so spurious wake-ups and timeouts that race a notify are told apart.
//!
//! A shared memory is one mapping for every thread and its base never moves, so the native
//! address names the same cell in every thread and every instance importing the memory.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// `memory.atomic.wait*` results, as the proposal numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum WaitResult {
    /// Woken by a `notify`.
    Ok = 0,
    /// The cell did not hold the expected value.
    NotEqual = 1,
    /// The timeout passed first.
    TimedOut = 2,
}

/// How many mutexes share the table.
const BUCKETS: usize = 64;

#[derive(Default)]
struct Waiter {
    cv: Condvar,
    /// Set (under the bucket's lock) by the notify that dequeued this waiter.
    woken: AtomicBool,
}

/// Waiters per address, oldest first.
type Queues = BTreeMap<usize, VecDeque<Arc<Waiter>>>;

static TABLE: [Mutex<Queues>; BUCKETS] = [const { Mutex::new(BTreeMap::new()) }; BUCKETS];

fn bucket(addr: usize) -> MutexGuard<'static, Queues> {
    // Cells are at least 4-byte aligned; neighbouring words land in different buckets.
    let i = (addr >> 2) % BUCKETS;
    // A panic while the lock was held cannot leave the queues inconsistent (each update
    // is one push, pop or removal), so a poisoned lock is still usable.
    TABLE[i].lock().unwrap_or_else(PoisonError::into_inner)
}

/// A timeout in nanoseconds as wasm gives it: negative waits forever.
pub fn timeout_from_nanos(nanos: i64) -> Option<Duration> {
    u64::try_from(nanos).ok().map(Duration::from_nanos)
}

/// `memory.atomic.wait32`: sleeps until notified or `timeout` passes, if the 4 bytes at
/// `cell` hold `expected` (a wasm value: little-endian in memory).
///
/// # Safety
/// `cell` is 4-byte aligned and in a live shared memory for the whole call.
pub unsafe fn wait32(cell: *mut u8, expected: u32, timeout: Option<Duration>) -> WaitResult {
    // SAFETY: the caller's contract; wasm accesses the cell only atomically or racily, and
    // a racy non-atomic access is the program's data race, not undefined behaviour here.
    let atomic = unsafe { AtomicU32::from_ptr(cell.cast()) };
    wait(
        cell as usize,
        || u32::from_le(atomic.load(Ordering::SeqCst)) == expected,
        timeout,
    )
}

/// `memory.atomic.wait64`: as [`wait32`] for the 8 bytes at `cell`.
///
/// # Safety
/// `cell` is 8-byte aligned and in a live shared memory for the whole call.
pub unsafe fn wait64(cell: *mut u8, expected: u64, timeout: Option<Duration>) -> WaitResult {
    // SAFETY: as in `wait32`.
    let atomic = unsafe { AtomicU64::from_ptr(cell.cast()) };
    wait(
        cell as usize,
        || u64::from_le(atomic.load(Ordering::SeqCst)) == expected,
        timeout,
    )
}

fn wait(
    addr: usize,
    holds_expected: impl FnOnce() -> bool,
    timeout: Option<Duration>,
) -> WaitResult {
    // A deadline too far to represent is no deadline: the wait is that long anyway.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let mut queues = bucket(addr);
    if !holds_expected() {
        return WaitResult::NotEqual;
    }
    let me = Arc::new(Waiter::default());
    queues.entry(addr).or_default().push_back(Arc::clone(&me));
    loop {
        if me.woken.load(Ordering::Relaxed) {
            return WaitResult::Ok;
        }
        queues = match deadline {
            None => me.cv.wait(queues).unwrap_or_else(PoisonError::into_inner),
            Some(deadline) => {
                let now = Instant::now();
                if now >= deadline {
                    // Still queued (no notify dequeued it): leave the queue.
                    if let Some(q) = queues.get_mut(&addr) {
                        q.retain(|w| !Arc::ptr_eq(w, &me));
                        if q.is_empty() {
                            queues.remove(&addr);
                        }
                    }
                    return WaitResult::TimedOut;
                }
                me.cv
                    .wait_timeout(queues, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
    }
}

/// `memory.atomic.notify`: wakes at most `count` of the threads waiting on `cell`, oldest
/// first; returns how many it woke.
pub fn notify(cell: *mut u8, count: u32) -> u32 {
    let addr = cell as usize;
    let mut queues = bucket(addr);
    let Some(q) = queues.get_mut(&addr) else {
        return 0;
    };
    let mut woken = 0;
    while woken < count {
        let Some(w) = q.pop_front() else { break };
        w.woken.store(true, Ordering::Relaxed);
        w.cv.notify_one();
        woken += 1;
    }
    if q.is_empty() {
        queues.remove(&addr);
    }
    woken
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn cell() -> *mut u8 {
        Box::leak(Box::new(AtomicU64::new(0))).as_ptr().cast()
    }

    #[test]
    fn mismatch_timeout_and_nobody_to_notify() {
        let c = cell();
        // SAFETY: a leaked, aligned, live cell.
        unsafe {
            assert_eq!(wait32(c, 1, None), WaitResult::NotEqual);
            assert_eq!(wait64(c, 1, Some(Duration::ZERO)), WaitResult::NotEqual);
            assert_eq!(wait32(c, 0, Some(Duration::ZERO)), WaitResult::TimedOut);
            let start = Instant::now();
            assert_eq!(
                wait64(c, 0, Some(Duration::from_millis(20))),
                WaitResult::TimedOut
            );
            assert!(start.elapsed() >= Duration::from_millis(20));
        }
        assert_eq!(notify(c, 10), 0);
        assert!(
            bucket(c as usize).get(&(c as usize)).is_none(),
            "timed-out waiters leave"
        );
    }

    #[test]
    fn notify_wakes_at_most_count_oldest_first() {
        let c = cell();
        let addr = c as usize;
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                thread::spawn(move || {
                    // SAFETY: as above; the cell is leaked, so it outlives the thread.
                    unsafe { wait32(addr as *mut u8, 0, None) }
                })
            })
            .collect();
        let queued = || bucket(addr).get(&addr).map_or(0, VecDeque::len);
        while queued() < 3 {
            thread::yield_now();
        }
        assert_eq!(notify(c, 2), 2);
        assert_eq!(queued(), 1);
        assert_eq!(notify(c, 0), 0);
        assert_eq!(notify(c, 5), 1);
        for w in waiters {
            assert_eq!(w.join().unwrap(), WaitResult::Ok);
        }
        assert_eq!(notify(c, 1), 0);
    }

    #[test]
    fn a_store_then_notify_is_never_lost() {
        // The waiter sleeps only while the value is 0; the notifier stores 1, then
        // notifies. Whatever the interleaving, the waiter returns.
        for _ in 0..200 {
            let c = cell();
            let addr = c as usize;
            let waiter = thread::spawn(move || {
                // SAFETY: as above.
                unsafe { wait64(addr as *mut u8, 0, None) }
            });
            // SAFETY: the leaked cell.
            unsafe { AtomicU64::from_ptr(c.cast()).store(1, Ordering::SeqCst) };
            notify(c, 1);
            let r = waiter.join().unwrap();
            assert!(r == WaitResult::Ok || r == WaitResult::NotEqual, "{r:?}");
        }
    }

    #[test]
    fn negative_timeouts_wait_forever() {
        assert_eq!(timeout_from_nanos(-1), None);
        assert_eq!(timeout_from_nanos(i64::MIN), None);
        assert_eq!(timeout_from_nanos(5), Some(Duration::from_nanos(5)));
    }
}
