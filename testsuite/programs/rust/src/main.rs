//! Kiln test program: args, env, a HashMap, float formatting, and `exit(5)` when the first
//! argument is `exit5` (a panic when it is `panic`).

use std::collections::HashMap;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("args: {args:?}");

    let mut env: Vec<(String, String)> = std::env::vars().collect();
    env.sort();
    println!("env: {env:?}");
    println!("GREETING is {:?}", std::env::var("GREETING").ok());

    let mut counts: HashMap<String, usize> = HashMap::new();
    let text = "the quick brown fox jumps over the lazy dog the end";
    for word in text.split_whitespace() {
        *counts.entry(word.to_string()).or_default() += 1;
    }
    let mut sorted: Vec<_> = counts.iter().collect();
    sorted.sort();
    println!("word counts: {sorted:?}");

    let xs = [0.1f64, 1.0 / 3.0, 2.0f64.sqrt(), 1e-310, 6.02214076e23, f64::MAX, -0.0];
    for x in xs {
        println!("{x} {x:?} {x:e} {x:.3} {:.17e}", x.sin());
    }
    println!("{} {} {}", f64::NAN, f64::INFINITY, -f64::INFINITY);
    let f: f32 = (1..=20).map(|i| 1.0f32 / i as f32).sum();
    println!("harmonic f32: {f} {f:?}");

    let v: Vec<u64> = (0..100_000u64).map(|i| i.wrapping_mul(0x9e3779b97f4a7c15) >> 7).collect();
    let sum = v.iter().fold(0u64, |a, b| a.wrapping_add(*b));
    println!("sum: {sum}");

    eprintln!("to stderr");
    std::io::stdout().flush().unwrap();
    match args.get(1).map(String::as_str) {
        Some("exit5") => std::process::exit(5),
        Some("panic") => panic!("asked to panic"),
        _ => {}
    }
    println!("done");
}
