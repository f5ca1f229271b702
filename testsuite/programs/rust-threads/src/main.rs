//! Kiln test program for wasm32-wasip1-threads: `std::thread` (each thread a
//! `wasi::thread-spawn`), `std::sync` (Mutex, Condvar, mpsc, Arc, atomics, Barrier,
//! RwLock, OnceLock) and a parallel workload. The first argument picks the scenario; every
//! scenario prints only what is deterministic whatever the interleaving.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex, OnceLock, RwLock};
use std::thread;
use std::time::Duration;

/// Spawns, joins, returns values from threads, and counts with a Mutex and an atomic.
fn basics() {
    let counter = Arc::new(Mutex::new(0u64));
    let hits = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let counter = Arc::clone(&counter);
            let hits = Arc::clone(&hits);
            thread::spawn(move || {
                for _ in 0..10_000 {
                    *counter.lock().unwrap() += 1;
                    hits.fetch_add(1, Ordering::SeqCst);
                }
                i * 10
            })
        })
        .collect();
    let rets: Vec<u32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("joined {rets:?}");
    println!("mutex count {}", *counter.lock().unwrap());
    println!("atomic count {}", hits.load(Ordering::SeqCst));
    let named = thread::Builder::new()
        .name("worker".into())
        .spawn(|| thread::current().name().map(str::to_owned))
        .unwrap()
        .join()
        .unwrap();
    println!("named thread {named:?}");
    let data: Vec<u64> = (1..=1000).collect();
    let scoped_sum: u64 = thread::scope(|s| {
        let (a, b) = data.split_at(500);
        let ha = s.spawn(move || a.iter().sum::<u64>());
        let hb = s.spawn(move || b.iter().sum::<u64>());
        ha.join().unwrap() + hb.join().unwrap()
    });
    println!("scoped sum {scoped_sum}");
    // Memory grown by one thread is seen by the others (one shared memory).
    let big = thread::spawn(|| vec![7u8; 8 << 20]).join().unwrap();
    println!("8 MiB from a thread: sum {}", big.iter().map(|&b| u64::from(b)).sum::<u64>());
}

/// A producer/consumer queue on Mutex + Condvar, mpsc channels with several senders, a
/// barrier, an RwLock, a OnceLock, thread-locals, park/unpark and sleep.
fn sync() {
    let pair = Arc::new((Mutex::new(Vec::<u32>::new()), Condvar::new()));
    let consumer = {
        let pair = Arc::clone(&pair);
        thread::spawn(move || {
            let (lock, cv) = &*pair;
            let mut got = Vec::new();
            while got.len() < 100 {
                let mut q = lock.lock().unwrap();
                while q.is_empty() {
                    q = cv.wait(q).unwrap();
                }
                got.append(&mut q);
            }
            got.iter().sum::<u32>()
        })
    };
    for i in 0..100 {
        let (lock, cv) = &*pair;
        lock.lock().unwrap().push(i);
        cv.notify_one();
    }
    println!("condvar consumer sum {}", consumer.join().unwrap());

    let (tx, rx) = mpsc::channel::<(usize, u64)>();
    for id in 0..3 {
        let tx = tx.clone();
        thread::spawn(move || {
            for k in 0..50u64 {
                tx.send((id, k * k)).unwrap();
            }
        });
    }
    drop(tx);
    let mut per = [0u64; 3];
    let mut n = 0;
    for (id, v) in rx {
        per[id] += v;
        n += 1;
    }
    println!("mpsc received {n} messages, sums {per:?}");

    let (stx, srx) = mpsc::sync_channel::<String>(1);
    let h = thread::spawn(move || {
        for w in ["rendezvous", "with", "a", "bounded", "channel"] {
            stx.send(w.to_string()).unwrap();
        }
    });
    let words: Vec<String> = srx.iter().collect();
    h.join().unwrap();
    println!("sync_channel {}", words.join(" "));

    let barrier = Arc::new(Barrier::new(4));
    let arrived = Arc::new(AtomicUsize::new(0));
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let b = Arc::clone(&barrier);
            let a = Arc::clone(&arrived);
            thread::spawn(move || {
                a.fetch_add(1, Ordering::SeqCst);
                let leader = b.wait().is_leader();
                // Past the barrier every thread has arrived.
                (a.load(Ordering::SeqCst), leader)
            })
        })
        .collect();
    let res: Vec<(usize, bool)> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    let leaders = res.iter().filter(|r| r.1).count();
    let min_seen = res.iter().map(|r| r.0).min().unwrap();
    println!("barrier: all saw {min_seen}, leaders {leaders}");

    let table = Arc::new(RwLock::new(vec![0u32; 4]));
    let hs: Vec<_> = (0..4)
        .map(|i| {
            let t = Arc::clone(&table);
            thread::spawn(move || {
                for _ in 0..100 {
                    t.write().unwrap()[i] += 1;
                    let _ = t.read().unwrap().iter().sum::<u32>();
                }
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    println!("rwlock {:?}", table.read().unwrap());

    static ONCE: OnceLock<String> = OnceLock::new();
    let hs: Vec<_> = (0..4)
        .map(|_| thread::spawn(|| ONCE.get_or_init(|| "set once".to_string()).len()))
        .collect();
    let lens: Vec<usize> = hs.into_iter().map(|h| h.join().unwrap()).collect();
    println!("once_lock {} {lens:?}", ONCE.get().unwrap());

    // Thread-local storage is per thread (each wasi thread has its own TLS block).
    thread_local!(static TLS: std::cell::Cell<u32> = const { std::cell::Cell::new(1) });
    TLS.with(|t| t.set(100));
    let other = thread::spawn(|| TLS.with(|t| t.get())).join().unwrap();
    println!("tls main {} other {other}", TLS.with(|t| t.get()));

    let parked = thread::spawn(|| {
        thread::park();
        "unparked"
    });
    thread::sleep(Duration::from_millis(20));
    parked.thread().unpark();
    println!("{}", parked.join().unwrap());

    // A thread sleeping in `poll_oneoff` does not hold up the others' WASI calls.
    let sleeper = thread::spawn(|| {
        thread::sleep(Duration::from_millis(300));
        "sleeper woke"
    });
    thread::sleep(Duration::from_millis(50));
    println!("printed while another thread sleeps");
    println!("{}", sleeper.join().unwrap());
}

/// Counts primes below `limit` with `threads` threads, each taking every `threads`-th number.
fn primes(limit: u64, threads: u64) -> u64 {
    let total = Arc::new(AtomicU64::new(0));
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let total = Arc::clone(&total);
            thread::spawn(move || {
                let mut n = 0;
                let mut x = 2 + t;
                while x < limit {
                    let mut d = 2;
                    let mut prime = true;
                    while d * d <= x {
                        if x % d == 0 {
                            prime = false;
                            break;
                        }
                        d += 1;
                    }
                    n += u64::from(prime);
                    x += threads;
                }
                total.fetch_add(n, Ordering::Relaxed);
            })
        })
        .collect();
    hs.into_iter().for_each(|h| h.join().unwrap());
    total.load(Ordering::Relaxed)
}

/// A parallel workload: a matrix product split by rows, and primes, with 1 to 4 threads.
fn parallel() {
    let n: usize = 96;
    let a: Arc<Vec<f64>> = Arc::new((0..n * n).map(|i| (i % 7) as f64 - 3.0).collect());
    let b: Arc<Vec<f64>> = Arc::new((0..n * n).map(|i| (i % 5) as f64 * 0.5).collect());
    for threads in 1..=4usize {
        let rows_per = n.div_ceil(threads);
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                let (a, b) = (Arc::clone(&a), Arc::clone(&b));
                thread::spawn(move || {
                    let mut part = Vec::new();
                    for i in t * rows_per..((t + 1) * rows_per).min(n) {
                        for j in 0..n {
                            part.push((0..n).map(|k| a[i * n + k] * b[k * n + j]).sum::<f64>());
                        }
                    }
                    part
                })
            })
            .collect();
        let c: Vec<f64> = hs.into_iter().flat_map(|h| h.join().unwrap()).collect();
        let trace: f64 = (0..n).map(|i| c[i * n + i]).sum();
        let total: f64 = c.iter().sum();
        println!(
            "matmul {threads} threads: trace {trace} total {total} primes<20000 {}",
            primes(20_000, threads as u64)
        );
    }
}

fn sleep_forever() -> ! {
    loop {
        thread::sleep(Duration::from_millis(1000));
    }
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "basics" => basics(),
        "sync" => sync(),
        "parallel" => parallel(),
        // A panic in a spawned thread is caught by join (the process goes on).
        "panic-joined" => {
            let r = thread::spawn(|| panic!("boom in a thread")).join();
            println!("join says the thread panicked: {}", r.is_err());
        }
        // `exit` from a spawned thread ends every thread with its status.
        "exit-in-thread" => {
            thread::spawn(|| {
                println!("thread exiting with 7");
                std::process::exit(7);
            });
            sleep_forever()
        }
        // A trap (abort: `unreachable`) in a spawned thread ends the process.
        "abort-in-thread" => {
            thread::spawn(|| {
                println!("thread aborting");
                std::process::abort();
            });
            sleep_forever()
        }
        // `main` returning ends the process while other threads still run.
        "main-returns" => {
            thread::spawn(|| sleep_forever());
            println!("main returns with a thread still running");
        }
        _ => {
            eprintln!("usage: rust_threads basics|sync|parallel|panic-joined|...");
            std::process::exit(2);
        }
    }
}
