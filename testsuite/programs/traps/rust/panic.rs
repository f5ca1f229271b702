//! A Rust program that panics three calls deep. Rust's panic on wasm32-wasip1 aborts with
//! `unreachable`; the frames' names in the name section are mangled (legacy `_ZN..E` or, with
//! `-C symbol-mangling-version=v0`, `_R...`) and the trap report shows them demangled.

#[inline(never)]
fn level_three(v: &[u32], i: usize) -> u32 {
    v[i] * 2
}

#[inline(never)]
fn level_two(v: &[u32], i: usize) -> u32 {
    level_three(v, i) + 1
}

#[inline(never)]
fn level_one(n: usize) -> u32 {
    let v: Vec<u32> = (0..4).collect();
    (0..n).map(|i| level_two(&v, i)).sum()
}

fn main() {
    let n = std::env::args().count() + 4;
    println!("{}", level_one(n));
}
