//! `kiln-spec [--expected FILE | --no-expected] [--jobs N] [--timeout SECS] [-v]
//! [--runner CMD] [--tier NAME]... [PATH...]`: runs WebAssembly spec scripts through Kiln
//! and prints, per script, `NAME: N passed, M failed`, then `K scripts, D directives` and one line
//! `N passed, M failed`. Exits non-zero on a failure that is not in the expected-failures
//! list, on an entry there that passes, and when there is nothing to run.
//!
//! A tier (`core-2.0`, `simd`, `wasm-3.0/memory64`, ...: `spec::suite::Tier`) is a set of
//! the official scripts compiled into the binary, run with the tier's features; a PATH is a
//! `.wast` file or a directory of them.
//! Each script runs in a child process of this binary. `--runner CMD` (words separated by
//! spaces) makes each child run its modules in a runner process started with CMD, compiled
//! for the runner's architecture: `--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu
//! PATH/kiln-spec-runner"` (`kiln-spec-runner` built for AArch64) runs every directive on
//! AArch64 code, while this machine compiles, schedules and checks.
//! Default: `--tier core-2.0` and `testsuite/spec-expected-failures.txt`.

use std::path::PathBuf;
use std::time::Duration;

use kiln_testsuite::spec::driver::{self, Script};
use kiln_testsuite::spec::suite::Tier;

fn usage() -> ! {
    eprintln!(
        "usage: kiln-spec [--expected FILE | --no-expected] [--jobs N] [--timeout SECS] [-v] \
         [--runner CMD] [--tier NAME]... [PATH...]"
    );
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut opts = driver::Options {
        scripts: Vec::new(),
        expected: Some(manifest.join("spec-expected-failures.txt")),
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        timeout: Duration::from_secs(300),
        verbose: false,
        exe: std::env::current_exe().unwrap_or_else(|_| "kiln-spec".into()),
        runner: None,
    };
    let mut tiers = Vec::new();
    let mut paths = Vec::new();
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--child") => {
                let Some(arg) = args.next() else { usage() };
                match Script::from_child_arg(&arg) {
                    Ok(script) => {
                        std::process::exit(driver::child(&script, opts.runner.as_deref()))
                    }
                    Err(e) => {
                        println!("error {e}");
                        std::process::exit(1)
                    }
                }
            }
            Some("--tier") => {
                let name = args.next().unwrap_or_else(|| usage());
                match name.to_str().and_then(Tier::from_name) {
                    Some(t) => tiers.push(t),
                    None => usage(),
                }
            }
            Some("--expected") => {
                opts.expected = Some(args.next().unwrap_or_else(|| usage()).into())
            }
            Some("--no-expected") => opts.expected = None,
            Some("--jobs" | "-j") => {
                opts.jobs = args
                    .next()
                    .and_then(|s| s.to_str()?.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            Some("--timeout") => {
                let secs: u64 = args
                    .next()
                    .and_then(|s| s.to_str()?.parse().ok())
                    .unwrap_or_else(|| usage());
                opts.timeout = Duration::from_secs(secs);
            }
            Some("--runner") => {
                let cmd = args.next().unwrap_or_else(|| usage());
                let cmd = cmd.into_string().unwrap_or_else(|_| usage());
                if driver::runner_words(&cmd).is_empty() {
                    usage()
                }
                opts.runner = Some(cmd);
            }
            Some("-v" | "--verbose") => opts.verbose = true,
            Some("-h" | "--help") => usage(),
            Some(s) if s.starts_with('-') => usage(),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if tiers.is_empty() && paths.is_empty() {
        tiers.push(Tier::Core20);
    }
    for t in tiers {
        opts.scripts.extend(Script::tier(t));
    }
    match driver::collect_files(&paths) {
        Ok(files) => opts.scripts.extend(files),
        Err(e) => {
            eprintln!("kiln-spec: {e}");
            std::process::exit(2)
        }
    }
    std::process::exit(driver::run(&opts));
}
