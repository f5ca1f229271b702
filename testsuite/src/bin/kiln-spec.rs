//! `kiln-spec [--expected FILE] [--jobs N] [--timeout SECS] [-v] [PATH...]`: runs WebAssembly
//! spec scripts (files, or directories of `.wast` files) through Kiln and prints, per script,
//! `NAME: N passed, M failed`, then one line `N passed, M failed`. Exits non-zero on a
//! failure that is not in the expected-failures list, or on an entry there that passes.
//!
//! Defaults: the `core-2.0` tier of `../shared/spec-testsuite` next to the repository (or of
//! `$KILN_SPEC_SUITE`), and `testsuite/spec-expected-failures.txt`.

use std::path::PathBuf;
use std::time::Duration;

use kiln_testsuite::spec::driver;

fn usage() -> ! {
    eprintln!("usage: kiln-spec [--expected FILE | --no-expected] [--jobs N] [--timeout SECS] [-v] [PATH...]");
    std::process::exit(2)
}

fn main() {
    let mut args = std::env::args_os().skip(1);
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut opts = driver::Options {
        paths: Vec::new(),
        expected: Some(manifest.join("spec-expected-failures.txt")),
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2),
        timeout: Duration::from_secs(300),
        verbose: false,
        exe: std::env::current_exe().unwrap_or_else(|_| "kiln-spec".into()),
    };
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("--child") => {
                let Some(file) = args.next() else { usage() };
                std::process::exit(driver::child(&PathBuf::from(file)));
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
            Some("-v" | "--verbose") => opts.verbose = true,
            Some("-h" | "--help") => usage(),
            Some(s) if s.starts_with('-') => usage(),
            _ => opts.paths.push(a.into()),
        }
    }
    if opts.paths.is_empty() {
        opts.paths
            .push(manifest.join("../../shared/spec-testsuite/core-2.0"));
    }
    std::process::exit(driver::run(&opts));
}
