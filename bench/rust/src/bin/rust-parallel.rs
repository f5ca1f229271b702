//! A parallel kernel for the threads row of scripts/bench: the Mandelbrot set on a
//! 800 x 600 grid (up to 400 iterations per point), rows dealt out to N threads
//! (`rust-parallel N`, default 1) through a shared atomic counter, each thread summing the
//! iteration counts of its rows. Prints the total, the same whatever N (the rows are the
//! same work), so every target's output can be compared.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

const W: usize = 800;
const H: usize = 600;
const MAX_ITER: u32 = 400;

fn row(y: usize) -> u64 {
    let ci = (y as f64 / H as f64) * 2.4 - 1.2;
    let mut sum = 0u64;
    for x in 0..W {
        let cr = (x as f64 / W as f64) * 3.2 - 2.2;
        let (mut zr, mut zi) = (0.0f64, 0.0f64);
        let mut i = 0;
        while i < MAX_ITER && zr * zr + zi * zi <= 4.0 {
            let t = zr * zr - zi * zi + cr;
            zi = 2.0 * zr * zi + ci;
            zr = t;
            i += 1;
        }
        sum += u64::from(i);
    }
    sum
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1);
    let next = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicU64::new(0));
    let work = {
        let (next, total) = (Arc::clone(&next), Arc::clone(&total));
        move || {
            let mut mine = 0;
            loop {
                let y = next.fetch_add(1, Ordering::Relaxed);
                if y >= H {
                    break;
                }
                mine += row(y);
            }
            total.fetch_add(mine, Ordering::Relaxed);
        }
    };
    let helpers: Vec<_> = (1..n).map(|_| thread::spawn(work.clone())).collect();
    work();
    for h in helpers {
        h.join().unwrap();
    }
    println!("mandelbrot {W}x{H}: {} iterations", total.load(Ordering::Relaxed));
}
