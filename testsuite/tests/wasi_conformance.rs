//! Kiln's WASI conformance set: C programs (`testsuite/programs/wasi/c`) that together call
//! every `wasi_snapshot_preview1` function, error paths included, each compiled by Kiln and
//! run next to `wasmtime run` in a fresh scratch directory preopened as `/sandbox`; exit
//! status, stdout, stderr and the files left behind must be identical. Sandbox escapes are
//! one test each. Every test runs once per target (`conformance_on!`): the default
//! (x86-64 musl) and x86-64 glibc natively, AArch64 musl and glibc under `qemu-aarch64`, each
//! against `wasmtime run` on this machine. The CPU-time clocks and handed-over sockets, where Kiln deliberately goes
//! beyond wasmtime 49, are checked on Kiln alone.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use kiln_testsuite::conformance::{
    assert_same_on, assert_same_with, run_in, run_pair, run_pair_on, wasi_c,
};
use kiln_testsuite::programs::{kiln_compile, wasmtime};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn nothing(_: &Path) {}

/// `outside.txt` and `outdir/` beside the sandbox: what an escape would reach.
fn outside(root: &Path) {
    std::fs::write(root.join("outside.txt"), "outside\n").unwrap();
    std::fs::create_dir(root.join("outdir")).unwrap();
}

fn fd_functions(target: Target) {
    let out = assert_same_on(target, &wasi_c("fd_ops"), &[], &nothing, true);
    let s = text(&out.outcome.stdout);
    // The program ends by renumbering stderr over stdout: "done" goes to stderr.
    assert!(s.contains("renumber 2 -> 0 (closed): BADF\n"), "{s}");
    assert!(text(&out.outcome.stderr).ends_with("done\n"));
    assert!(s.contains("allocate 0 100: NOTSUP\n"), "{s}");
    assert!(s.contains("set_times ATIM|ATIM_NOW: INVAL\n"), "{s}");
}

fn path_functions(target: Target) {
    let out = assert_same_on(target, &wasi_c("path_ops"), &[], &nothing, true);
    let s = text(&out.outcome.stdout);
    assert!(s.ends_with("done\n"), "{s}");
    assert!(s.contains("rmdir nonempty: NOTEMPTY\n"), "{s}");
}

fn readdir_cookies_and_small_buffers(target: Target) {
    let out = assert_same_on(target, &wasi_c("readdir"), &[], &nothing, true);
    assert!(text(&out.outcome.stdout).ends_with("done\n"));
}

fn poll_oneoff_clocks_and_fds(target: Target) {
    let out = assert_same_on(target, &wasi_c("poll"), &[], &nothing, true);
    assert!(text(&out.outcome.stdout).ends_with("done\n"));
}

fn args_env_clocks_random_proc_exit(target: Target) {
    let wasm = wasi_c("misc");
    let out = assert_same_on(target, &wasm, &["a", "b c", "", "7"], &nothing, true);
    assert_eq!(out.outcome.status, 7);
    let out = assert_same_on(target, &wasm, &["return", "0"], &nothing, true);
    assert_eq!(out.outcome.status, 0);
    let out = assert_same_on(target, &wasm, &["125"], &nothing, true);
    assert_eq!(out.outcome.status, 125);
}

/// Bad pointers and invalid enum/flag values, one process per case. wasmtime ends the
/// program (status 1) for some: compare status and stdout, and check Kiln says why.
fn bad_arguments(target: Target) {
    let wasm = wasi_c("bad_args");
    let mut ended = 0;
    for case in 0.. {
        let arg = case.to_string();
        let out = assert_same_on(target, &wasm, &[&arg], &nothing, false);
        if out.outcome.status == 99 {
            assert!(case > 60, "only {case} cases");
            break;
        }
        if out.outcome.status == 1 {
            ended += 1;
            let err = text(&out.outcome.stderr);
            assert!(err.starts_with("kiln: error: "), "case {case}: {err}");
        }
    }
    assert!(ended > 30, "{ended}");
}

fn sandbox_case(target: Target, name: &str) {
    sandbox_case_with(target, name, &outside, &[]);
}

fn sandbox_case_with(target: Target, name: &str, setup: &dyn Fn(&Path), others: &[&str]) {
    let out = assert_same_with(target, &wasi_c("sandbox"), &[name], setup, true, others);
    let s = text(&out.outcome.stdout);
    assert!(s.ends_with("done\n"), "{s}");
    assert!(!s.contains("read SUCCESS: outside"), "{s}");
    assert!(out
        .tree
        .contains("file outside.txt (8 bytes) \"outside\\n\""));
    assert!(!Path::new("/tmp/kiln-absolute-escape").exists());
}

/// Deliberate difference: Kiln serves the CPU-time clocks, wasmtime answers EBADF.
fn cputime_clocks_are_served(target: Target) {
    let (k, w) = run_pair_on(target, &wasi_c("cputime"), &[], &nothing);
    let s = text(&k.outcome.stdout);
    assert_eq!(k.outcome.status, 0);
    for id in [2, 3] {
        assert!(
            s.contains(&format!(
                "clock {id}: res SUCCESS time SUCCESS res>0: yes advances: yes\n"
            )),
            "{s}"
        );
    }
    assert!(text(&w.outcome.stdout).contains("clock 2: res BADF time BADF"));
}

/// Sockets handed over with `KILN_TCPLISTEN` (wasmtime 49 has no `--tcplisten` any more).
fn tcplisten_socket_handover(target: Target) {
    let wasm = wasi_c("sock");
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sandbox")).unwrap();
    let mut grants = vec![
        "--dir".to_string(),
        "sandbox::/sandbox".to_string(),
        "--allow-runtime-grants".to_string(),
    ];
    if let Some(t) = target {
        grants.extend(["--target".to_string(), t.to_string()]);
    }
    let exe = kiln_compile(&wasm, dir.path(), &grants);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = kiln_testsuite::targets::command(target, &exe)
        .env_clear()
        .env("KILN_TCPLISTEN", &addr)
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut conn = None;
    for _ in 0..200 {
        if let Ok(c) = std::net::TcpStream::connect(&addr) {
            conn = Some(c);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut c = conn.expect("the program listens");
    c.write_all(b"hello ").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));
    c.write_all(b"world!").unwrap();
    let mut reply = String::new();
    c.read_to_string(&mut reply).unwrap();
    let out = child.wait_with_output().unwrap();
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{s}{}", text(&out.stderr));
    assert_eq!(reply, "HELLO WORLD!BYE\n", "{s}");
    assert!(s.contains("listener fd=4 accept right: yes\n"), "{s}");
    assert!(s.contains("recv on listener: NOTCONN\n"), "{s}");
    assert!(s.contains("sock_send on stdout: NOTSOCK\n"), "{s}");
    assert!(
        s.contains("accept: SUCCESS\nconnection filetype=6\n"),
        "{s}"
    );
    assert!(
        s.contains("shutdown write: SUCCESS\nclose: SUCCESS\ndone\n"),
        "{s}"
    );
}

/// The target a test's executables are built for (`None`: the default,
/// `x86_64-unknown-linux-musl`).
/// `/proc/self/root` and `/proc/self/cwd`: absolute, through a symlink the guest makes and
/// through one the host left in the sandbox (`hostproc`).
fn sandbox_proc_self(target: Target) {
    let setup = |root: &Path| {
        outside(root);
        std::os::unix::fs::symlink("/proc/self/root", root.join("sandbox/hostproc")).unwrap();
    };
    sandbox_case_with(target, "proc_self", &setup, &[]);
    assert!(!Path::new("/tmp/kiln-proc-escape").exists());
}

/// Run on the default target only (a host thread racing a guest under qemu would mostly
/// measure qemu). A host thread swaps the symlink `sandbox/swap` between a directory inside and one
/// outside while the guest opens `swap/x` thousands of times: neither engine ever reads
/// the outside file, and both saw the link in both states (the race was run).
#[test]
fn sandbox_symlink_swapped_by_the_host_between_check_and_use() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let stop = Arc::new(AtomicBool::new(false));
    let swappers = std::sync::Mutex::new(Vec::new());
    let setup = |root: &Path| {
        outside(root);
        std::fs::write(root.join("outdir/x"), "outside\n").unwrap();
        std::fs::create_dir(root.join("sandbox/inner")).unwrap();
        std::fs::write(root.join("sandbox/inner/x"), "inside\n").unwrap();
        let sandbox = root.join("sandbox");
        std::os::unix::fs::symlink("inner", sandbox.join("swap")).unwrap();
        let stop = stop.clone();
        swappers.lock().unwrap().push(std::thread::spawn(move || {
            let started = std::time::Instant::now();
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) && started.elapsed().as_secs() < 60 {
                let target = if swaps.is_multiple_of(2) {
                    "../outdir"
                } else {
                    "inner"
                };
                let tmp = sandbox.join("swap.tmp");
                let _ = std::fs::remove_file(&tmp);
                // The root is removed when its run is over: then stop.
                if std::os::unix::fs::symlink(target, &tmp).is_err()
                    || std::fs::rename(&tmp, sandbox.join("swap")).is_err()
                {
                    break;
                }
                swaps += 1;
            }
            swaps
        }));
    };
    let (k, w) = run_pair(&wasi_c("sandbox"), &["swap"], &setup);
    stop.store(true, Ordering::Relaxed);
    let swaps: Vec<u64> = swappers
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for (engine, run) in [("kiln", &k), ("wasmtime", &w)] {
        let s = text(&run.outcome.stdout);
        eprintln!("{engine}: {s}");
        assert_eq!(run.outcome.status, 0, "{engine}: {s}");
        let count = |what: &str| -> u32 {
            s.split_whitespace()
                .skip_while(|w| *w != what)
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("{engine}: no {what} count in {s}"))
        };
        assert_eq!(count("outside"), 0, "{engine} escaped: {s}");
        assert!(count("inside") > 0 && count("refused") > 0, "{engine}: {s}");
        assert!(s.ends_with("done\n"), "{s}");
    }
    eprintln!("host swaps during the runs: {swaps:?}");
}

type Target = Option<&'static str>;

/// Every test above, once per target: a module of `#[test]`s each (`aarch64_musl::fd_functions`,
/// ...). Each program is compiled once per target (`conformance::run_pair_on`).
macro_rules! conformance_on {
    ($($module:ident: $target:expr;)*) => {$(
        mod $module {
            use super::*;
            const TARGET: Target = $target;
            #[test]
            fn fd_functions() {
                super::fd_functions(TARGET);
            }
            #[test]
            fn path_functions() {
                super::path_functions(TARGET);
            }
            #[test]
            fn readdir_cookies_and_small_buffers() {
                super::readdir_cookies_and_small_buffers(TARGET);
            }
            #[test]
            fn poll_oneoff_clocks_and_fds() {
                super::poll_oneoff_clocks_and_fds(TARGET);
            }
            #[test]
            fn args_env_clocks_random_proc_exit() {
                super::args_env_clocks_random_proc_exit(TARGET);
            }
            #[test]
            fn bad_arguments() {
                super::bad_arguments(TARGET);
            }
            #[test]
            fn cputime_clocks_are_served() {
                super::cputime_clocks_are_served(TARGET);
            }
            #[test]
            fn tcplisten_socket_handover() {
                super::tcplisten_socket_handover(TARGET);
            }
            #[test]
            fn sandbox_dotdot() {
                sandbox_case(TARGET, "dotdot");
            }
            #[test]
            fn sandbox_absolute_paths() {
                sandbox_case(TARGET, "absolute");
            }
            #[test]
            fn sandbox_symlink_absolute() {
                sandbox_case(TARGET, "symlink_absolute");
            }
            #[test]
            fn sandbox_symlink_relative() {
                sandbox_case(TARGET, "symlink_relative");
            }
            #[test]
            fn sandbox_symlink_loops() {
                sandbox_case(TARGET, "symlink_loop");
            }
            #[test]
            fn sandbox_dangling_symlinks() {
                sandbox_case(TARGET, "dangling");
            }
            #[test]
            fn sandbox_hard_links() {
                sandbox_case(TARGET, "hardlink");
            }
            #[test]
            fn sandbox_rename_out() {
                sandbox_case(TARGET, "rename");
            }
            #[test]
            fn sandbox_trailing_slashes() {
                sandbox_case(TARGET, "trailing_slash");
            }
            #[test]
            fn sandbox_proc_self() {
                super::sandbox_proc_self(TARGET);
            }
            #[test]
            fn sandbox_fd_renumber_onto_the_preopen() {
                sandbox_case(TARGET, "renumber");
            }
            #[test]
            fn sandbox_rights_escalation() {
                sandbox_case(TARGET, "rights");
            }
            #[test]
            fn sandbox_renames_across_preopens() {
                sandbox_case_with(TARGET, "cross_preopen", &outside, &["other"]);
            }
            #[test]
            fn sandbox_directory_fd_dotdot() {
                sandbox_case(TARGET, "dirfd_dotdot");
            }
        }
    )*};
}

conformance_on! {
    // The default target, x86_64-unknown-linux-musl, natively.
    default_target: None;
    x86_64_gnu: Some("x86_64-unknown-linux-gnu");
    // Under qemu-aarch64 (`kiln_testsuite::targets::command`), whose qemu-user 7.2 has no
    // `openat2`: the runtime's own confined walk serves every path lookup there.
    aarch64_musl: Some("aarch64-unknown-linux-musl");
    aarch64_gnu: Some("aarch64-unknown-linux-gnu");
}

/// The WASI functions one run of `wasm` called, read from wasmtime's trace of its own WASI
/// calls (`WASMTIME_LOG=wasmtime_wasi=trace` logs `function="NAME"` at each), with the
/// run's exit status. Kiln runs the same programs the same way in the tests above and
/// must match wasmtime byte for byte, so it makes the same calls.
fn traced_calls(wasm: &Path, args: &[&str], setup: &dyn Fn(&Path)) -> (i32, BTreeSet<String>) {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("sandbox")).unwrap();
    setup(root.path());
    let name = wasm.file_stem().unwrap().to_str().unwrap();
    let mut a = vec!["run", "--dir", "sandbox::/sandbox", "--argv0", name];
    a.push(wasm.to_str().unwrap());
    a.extend_from_slice(args);
    let out = run_in(
        &wasmtime(),
        &a,
        &[("WASMTIME_LOG", "wasmtime_wasi=trace")],
        root.path(),
    );
    let log = text(&out.stderr);
    let called = log
        .split("function=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect();
    (out.status, called)
}

/// Together the runs of the conformance programs above call every function of
/// `wasi_snapshot_preview1`, as the trace of those runs shows.
#[test]
fn every_function_is_called() {
    let mut called = BTreeSet::new();
    let runs: &[(&str, &[&str])] = &[
        ("fd_ops", &[]),
        ("path_ops", &[]),
        ("readdir", &[]),
        ("poll", &[]),
        ("misc", &["a", "b c", "", "7"]),
        ("misc", &["return", "0"]),
        ("cputime", &[]),
        ("sock", &[]),
    ];
    for (program, args) in runs {
        called.extend(traced_calls(&wasi_c(program), args, &nothing).1);
    }
    for case in [
        "dotdot",
        "absolute",
        "symlink_absolute",
        "rename",
        "hardlink",
    ] {
        called.extend(traced_calls(&wasi_c("sandbox"), &[case], &outside).1);
    }
    let bad_args = wasi_c("bad_args");
    for case in 0.. {
        let (status, c) = traced_calls(&bad_args, &[&case.to_string()], &nothing);
        called.extend(c);
        if status == 99 {
            break;
        }
        assert!(case < 1000, "bad_args never ended");
    }
    assert!(
        called.len() > 40,
        "the trace shows only {} functions: did wasmtime stop logging them?",
        called.len()
    );
    let missing: Vec<&str> = kiln_abi::wasi::FUNCTIONS
        .iter()
        .map(|(name, _, _)| *name)
        .filter(|name| !called.contains(*name))
        .collect();
    assert!(
        missing.is_empty(),
        "no conformance run calls {missing:?} (called: {called:?})"
    );
}
