//! Kiln test program: args, env, a HashMap, float formatting, and `exit(5)` when the first
//! argument is `exit5` (a panic when it is `panic`). With `fs` as the first argument it
//! exercises `std::fs` in the preopened `/data` instead; with `simd`, 128-bit SIMD.

use std::collections::HashMap;
use std::io::Write;

mod simd;

/// `std::fs` on top of WASI: directories, files, metadata, links, errors. Prints only what is
/// deterministic (no timestamps, no inode numbers).
fn fs_ops() {
    use std::fs;
    use std::io::{Read, Seek, SeekFrom};
    let root = std::path::Path::new("/data");
    let show = |what: &str, r: std::io::Result<String>| match r {
        Ok(v) => println!("{what}: ok {v}"),
        Err(e) => println!("{what}: error {:?}", e.kind()),
    };
    show("read input", fs::read_to_string(root.join("input.txt")));
    show("mkdir out/deep", fs::create_dir_all(root.join("out/deep")).map(|()| String::new()));
    show("mkdir again", fs::create_dir(root.join("out")).map(|()| String::new()));
    show(
        "write",
        fs::write(root.join("out/deep/a.txt"), "alpha\nbeta\n").map(|()| String::new()),
    );
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(root.join("out/deep/a.txt"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"gamma\n").unwrap();
    drop(f);
    let mut f = fs::File::open(root.join("out/deep/a.txt")).unwrap();
    let mut s = String::new();
    f.seek(SeekFrom::Start(6)).unwrap();
    f.read_to_string(&mut s).unwrap();
    println!("after seek: {s:?}");
    let md = fs::metadata(root.join("out/deep/a.txt")).unwrap();
    println!("len {} file {} dir {}", md.len(), md.is_file(), md.is_dir());
    show("rename", fs::rename(root.join("out/deep/a.txt"), root.join("out/b.txt")).map(|()| String::new()));
    show("hard link", fs::hard_link(root.join("out/b.txt"), root.join("out/c.txt")).map(|()| String::new()));
    let mut names: Vec<String> = fs::read_dir(root.join("out"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            format!("{}:{}", e.file_name().to_string_lossy(), e.file_type().unwrap().is_dir())
        })
        .collect();
    names.sort();
    println!("out: {names:?}");
    show("rmdir non-empty", fs::remove_dir(root.join("out")).map(|()| String::new()));
    show("remove missing", fs::remove_file(root.join("nope")).map(|()| String::new()));
    show("escape", fs::read_to_string(root.join("../secret.txt")));
    show("escape via link", fs::read_to_string(root.join("link_out")));
    show("truncate", fs::File::create(root.join("out/c.txt")).map(|_| String::new()));
    show("size after truncate", fs::metadata(root.join("out/b.txt")).map(|m| m.len().to_string()));
    show("remove dir all", fs::remove_dir_all(root.join("out/deep")).map(|()| String::new()));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("fs") {
        fs_ops();
        return;
    }
    if args.get(1).map(String::as_str) == Some("simd") {
        simd::run();
        return;
    }
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
