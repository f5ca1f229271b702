//! `kiln run` is one process to its caller: a stop signal sent to `kiln` reaches the program,
//! `kiln` waits for it, removes its temporary directory and ends with the same signal; the
//! program is never left running as an orphan. With `--no-cache` the program is a child of
//! `kiln` (the signals are forwarded); with the cache `kiln` execs the cached executable,
//! and only cache entries stay behind. (A test of the `kiln` package, so that cargo builds
//! the binary it runs.)

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Sleeps 20 s in `poll_oneoff`.
const SLEEP: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 24) (i64.const 20000000000))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
"#;

/// Processes whose executable lies under `dir` (the program `kiln run` started).
fn processes_under(dir: &Path) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(exe) = std::fs::read_link(e.path().join("exe")) {
            if exe.starts_with(dir) {
                found.push(pid);
            }
        }
    }
    found
}

fn signal_case(sig: libc::c_int, cached: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let wat = tmp.path().join("sleep.wat");
    std::fs::write(&wat, SLEEP).unwrap();
    let scratch = tmp.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let cache = tmp.path().join("cache");
    let mut kiln = Command::new(env!("CARGO_BIN_EXE_kiln"));
    kiln.arg("run");
    if !cached {
        kiln.arg("--no-cache");
    }
    // The signal's default action, whatever this test inherited: under `nohup` SIGHUP is
    // ignored, which `kiln` and the program inherit as any exec'd process does.
    // SAFETY: `signal` is async-signal-safe, as a `pre_exec` closure must be.
    unsafe {
        kiln.pre_exec(move || {
            libc::signal(sig, libc::SIG_DFL);
            Ok(())
        });
    }
    let program_dir = if cached { &cache } else { &scratch };
    let mut kiln = kiln
        .arg(&wat)
        .env("TMPDIR", &scratch)
        .env("XDG_CACHE_HOME", &cache)
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the program runs (compiling takes a moment).
    let start = Instant::now();
    while processes_under(program_dir).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the program never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(kiln.id() as i32, sig) };
    let status = kiln.wait().unwrap();
    assert_eq!(status.signal(), Some(sig), "{status:?}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "kiln waited for the sleep"
    );
    assert!(
        processes_under(program_dir).is_empty(),
        "the program outlived kiln"
    );
    let left: Vec<_> = std::fs::read_dir(&scratch).unwrap().collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

#[test]
fn sigterm_reaches_the_program_and_nothing_is_left() {
    signal_case(libc::SIGTERM, false);
    signal_case(libc::SIGTERM, true);
}

#[test]
fn sigint_reaches_the_program_and_nothing_is_left() {
    signal_case(libc::SIGINT, false);
    signal_case(libc::SIGINT, true);
}

#[test]
fn sighup_reaches_the_program_and_nothing_is_left() {
    signal_case(libc::SIGHUP, false);
    signal_case(libc::SIGHUP, true);
}

#[test]
fn sigquit_reaches_the_program_and_nothing_is_left() {
    signal_case(libc::SIGQUIT, false);
}
