//! Resource limits baked into an executable (`--max-memory`, `--max-table-elements`,
//! `--max-open-files`, `--timeout`), compared with `wasmtime run -W ...` where wasmtime has
//! the same limit; run-time grants and limit overrides accepted only with
//! `--allow-runtime-grants`, never loosening; `KILN_INFO=1`'s self-description.

use std::path::{Path, PathBuf};

use kiln_testsuite::programs::{kiln, kiln_compile, run_both, run_clean, Invocation};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, wat: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, wat).unwrap();
    p
}

/// Grows memory 0 a page at a time until `memory.grow` fails, then exits with its size in
/// pages; likewise table 0 when `table` is set.
fn grower(min_pages: u32, table: bool) -> String {
    let what = if table {
        "(br_if $done (i32.eq (table.grow (ref.null func) (i32.const 1)) (i32.const -1))) (br $l)))
    (call $exit (table.size))"
    } else {
        "(br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1))) (br $l)))
    (call $exit (memory.size))"
    };
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") {min_pages})
  (table 1 funcref)
  (func (export "_start")
    (block $done (loop $l
    {what}))
"#
    )
}

const SPIN: &str = r#"(module
  (memory (export "memory") 1)
  (func $spin (loop $l (br $l)))
  (func (export "_start") (call $spin)))
"#;

/// Sleeps 5 s in `poll_oneoff` (a relative clock subscription).
const SLEEP: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 24) (i64.const 5000000000))
    (drop (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 200)))))
"#;

#[test]
fn max_memory_stops_growth_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "grow.wat", &grower(1, false));
    let bytes = (10 * 65536 + 100).to_string();
    let inv = Invocation::new().grant_each(
        &["--max-memory", &bytes],
        &["-W", &format!("max-memory-size={bytes}")],
    );
    let (k, w) = run_both(&wat, &inv);
    assert_eq!((k.status, w.status), (10, 10), "{}", text(&k.stderr));
    // A minimum above the limit cannot be instantiated, by either.
    let wat = write(dir.path(), "grow20.wat", &grower(20, false));
    let (k, w) = run_both(&wat, &inv);
    assert_eq!((k.status, w.status), (1, 1));
    assert!(
        text(&k.stderr).contains("--max-memory"),
        "{}",
        text(&k.stderr)
    );
}

#[test]
fn max_table_elements_stops_growth_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "table.wat", &grower(1, true));
    let inv = Invocation::new().grant_each(
        &["--max-table-elements", "7"],
        &["-W", "max-table-elements=7"],
    );
    let (k, w) = run_both(&wat, &inv);
    assert_eq!((k.status, w.status), (7, 7), "{}", text(&k.stderr));
}

#[test]
fn timeout_interrupts_a_spinning_guest_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "spin.wat", SPIN);
    let inv = Invocation::new().grant_each(&["--timeout", "200ms"], &["-W", "timeout=200ms"]);
    let start = std::time::Instant::now();
    let (k, w) = run_both(&wat, &inv);
    eprintln!("both runs took {:?}", start.elapsed());
    assert_eq!((k.status, w.status), (134, 134));
    let err = text(&k.stderr);
    assert!(err.starts_with("wasm trap: interrupt\n"), "{err}");
    assert!(
        err.contains("spin"),
        "the backtrace names the function: {err}"
    );
    assert!(text(&w.stderr).contains("wasm trap: interrupt"));
}

/// wasi-threads: a spawned thread spins while `_start` waits forever in
/// `memory.atomic.wait32`, outside compiled code. The thread's own instance is interrupted:
/// its report names its function (the timer's fallback for a guest blocked outside wasm
/// would print no backtrace).
const SPIN_IN_THREAD: &str = r#"(module
  (import "env" "memory" (memory 1 1 shared))
  (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
  (export "memory" (memory 0))
  (func $spin_in_thread (loop $l (br $l)))
  (func (export "wasi_thread_start") (param $tid i32) (param $arg i32)
    (call $spin_in_thread))
  (func (export "_start")
    (drop (call $spawn (i32.const 0)))
    (drop (memory.atomic.wait32 (i32.const 64) (i32.const 0) (i64.const -1)))))
"#;

#[test]
fn timeout_interrupts_a_spinning_thread_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "spin_thread.wat", SPIN_IN_THREAD);
    let inv = Invocation::new()
        .threads()
        .grant_each(&["--timeout", "200ms"], &["-W", "timeout=200ms"]);
    let (k, w) = run_both(&wat, &inv);
    assert_eq!((k.status, w.status), (134, 134), "{}", text(&k.stderr));
    let err = text(&k.stderr);
    assert!(
        err.starts_with("wasm trap: interrupt\nwasm backtrace:\n"),
        "{err}"
    );
    assert!(err.contains("spin_in_thread"), "{err}");
    assert_eq!(err.matches("wasm trap:").count(), 1, "{err}");
    assert!(text(&w.stderr).contains("wasm trap: interrupt"));
}

/// The timer is armed before instantiation: a start function that never returns is
/// interrupted like `_start`.
#[test]
fn timeout_interrupts_a_spinning_start_function_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(
        dir.path(),
        "spin_start.wat",
        r#"(module
  (memory (export "memory") 1)
  (func $spin_at_start (loop $l (br $l)))
  (start $spin_at_start)
  (func (export "_start")))
"#,
    );
    let inv = Invocation::new().grant_each(&["--timeout", "200ms"], &["-W", "timeout=200ms"]);
    let (k, w) = run_both(&wat, &inv);
    assert_eq!((k.status, w.status), (134, 134), "{}", text(&k.stderr));
    assert!(
        text(&k.stderr).starts_with("wasm trap: interrupt\n"),
        "{}",
        text(&k.stderr)
    );
    assert!(text(&w.stderr).contains("wasm trap: interrupt"));
}

#[test]
fn timeout_ends_a_guest_blocked_in_a_wasi_call_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "sleep.wat", SLEEP);
    let inv = Invocation::new().grant_each(&["--timeout", "300ms"], &["-W", "timeout=300ms"]);
    let start = std::time::Instant::now();
    let (k, w) = run_both(&wat, &inv);
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!((k.status, w.status), (134, 134));
    assert!(text(&k.stderr).starts_with("wasm trap: interrupt"));
}

/// `kiln compile WAT -o OUT --emit clif EXTRA...`: every function's CLIF before
/// optimisation, in file-name order, as one text.
fn unoptimised_clif(wat: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "compile",
        wat.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--emit",
        "clif",
    ];
    args.extend(extra);
    let (code, err) = kiln(args);
    assert_eq!(code, 0, "{err}");
    let mut files: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".unopt.clif"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Code compiled without `--timeout` has no interruption checks: its CLIF is what it was.
#[test]
fn without_timeout_no_check_is_compiled() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "spin.wat", SPIN);
    let clif = |name: &str, extra: &[&str]| unoptimised_clif(&wat, &dir.path().join(name), extra);
    let plain = clif("plain", &[]);
    let timed = clif("timed", &["--timeout", "1s"]);
    // The interrupt flag is at vmctx+88; the trap is user code 15 (`Trap::Interrupt`).
    let checks = |s: &str| s.matches("atomic_load").count();
    assert!(
        !plain.contains("+88]") && !plain.contains("user15"),
        "{plain}"
    );
    assert!(timed.contains("user15"), "{timed}");
    assert_eq!(
        (checks(&plain), checks(&timed)),
        (0, 3),
        "entries of both functions, the loop"
    );
}

/// One `path_open` of `d/a` after another, keeping each: exits with the number that
/// succeeded when one fails with `EMFILE`, 99 on another error, 0 after 100.
const OPEN_MANY: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "a")
  (func (export "_start") (local $i i32) (local $e i32)
    (loop $l
      (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 16)))
      (if (i32.eq (local.get $e) (i32.const 33)) (then (call $exit (local.get $i))))
      (if (local.get $e) (then (call $exit (i32.const 99))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 100))))
    (call $exit (i32.const 0))))
"#;

#[test]
fn max_open_files_refuses_one_more_with_emfile() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    std::fs::write(dir.path().join("d/a"), "a").unwrap();
    let wat = write(dir.path(), "open.wat", OPEN_MANY);
    let exe = kiln_compile(
        &wat,
        dir.path(),
        &["--dir", "d", "--max-open-files", "6"].map(String::from),
    );
    // stdio and the preopen hold 4: two opens succeed, the third is EMFILE (33).
    let out = run_clean(&exe, &[] as &[&str], &[], dir.path());
    assert_eq!(out.status, 2, "{}", text(&out.stderr));
}

fn info(exe: &Path, env: &[(&str, &str)]) -> String {
    let mut env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env.push(("KILN_INFO".into(), "1".into()));
    let out = run_clean(exe, &[] as &[&str], &env, exe.parent().unwrap());
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn run_time_limits_only_tighten_and_only_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "grow.wat", &grower(1, false));
    let run = |exe: &Path, env: &[(&str, &str)]| {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        run_clean(exe, &[] as &[&str], &env, dir.path()).status
    };
    let allowed_dir = dir.path().join("allowed");
    std::fs::create_dir(&allowed_dir).unwrap();
    let allowed = kiln_compile(
        &wat,
        &allowed_dir,
        &["--allow-runtime-grants", "--max-memory", "1280K"].map(String::from),
    );
    assert_eq!(run(&allowed, &[]), 20);
    assert_eq!(run(&allowed, &[("KILN_MAX_MEMORY", "320K")]), 5);
    assert_eq!(
        run(&allowed, &[("KILN_MAX_MEMORY", "1GiB")]),
        20,
        "never loosened"
    );
    assert_eq!(run(&allowed, &[("KILN_MAX_MEMORY", "lots")]), 1);
    let s = info(&allowed, &[("KILN_MAX_MEMORY", "320K")]);
    assert!(s.contains("max memory: 327680 bytes\n"), "{s}");
    assert!(s.contains("run-time grants: allowed"), "{s}");

    let refused_dir = dir.path().join("refused");
    std::fs::create_dir(&refused_dir).unwrap();
    let refused = kiln_compile(
        &wat,
        &refused_dir,
        &["--max-memory", "1280K"].map(String::from),
    );
    assert_eq!(run(&refused, &[("KILN_MAX_MEMORY", "320K")]), 20);
    let s = info(&refused, &[("KILN_MAX_MEMORY", "320K"), ("KILN_DIR", "/")]);
    assert!(s.contains("max memory: 1310720 bytes\n"), "{s}");
    assert!(s.contains("run-time grants: refused"), "{s}");
    assert!(!s.contains("dir:"), "{s}");
}

/// `KILN_DIR=/::/ ./app` must not reach the host's root unless the executable allows
/// run-time grants: the guest sees no preopen at fd 3.
#[test]
fn kiln_dir_is_ignored_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(
        dir.path(),
        "prestat.wat",
        r#"(module
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (call $prestat (i32.const 3) (i32.const 0)))))
"#,
    );
    let env = [("KILN_DIR".to_string(), "/::/".to_string())];
    let exe = kiln_compile(&wat, dir.path(), &[]);
    assert_eq!(
        run_clean(&exe, &[] as &[&str], &env, dir.path()).status,
        8,
        "EBADF"
    );
    let allowed = dir.path().join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let exe = kiln_compile(&wat, &allowed, &["--allow-runtime-grants".to_string()]);
    assert_eq!(run_clean(&exe, &[] as &[&str], &env, dir.path()).status, 0);
}

/// Counts to 100 in a loop called from `_start`, then exits 7: wasmtime 49 needs 797 units
/// of fuel for it (measured: 1 per operator but `nop`, `drop`, `block`, `loop`,
/// `unreachable`, `return`, `else`, `end`, and 1 per function entered).
const COUNT_TO_100: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func $count (param $n i32) (local $i i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n)))))
  (func (export "_start") (call $count (i32.const 100)) (call $exit (i32.const 7))))
"#;

fn fuel_run(
    wat: &Path,
    fuel: u64,
) -> (
    kiln_testsuite::programs::Outcome,
    kiln_testsuite::programs::Outcome,
) {
    let n = fuel.to_string();
    let inv = Invocation::new().grant_each(&["--fuel", &n], &["-W", &format!("fuel={n}")]);
    run_both(wat, &inv)
}

/// The same budget runs out at the same point as under `wasmtime -W fuel=N`: one unit less
/// than the program needs stops it with wasmtime's message and status 134, in the same
/// function.
#[test]
fn fuel_runs_out_where_wasmtime_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "count.wat", COUNT_TO_100);
    let (k, w) = fuel_run(&wat, 797);
    assert_eq!((k.status, w.status), (7, 7), "{}", text(&k.stderr));
    let (k, w) = fuel_run(&wat, 796);
    assert_eq!((k.status, w.status), (134, 134), "{}", text(&k.stderr));
    let err = text(&k.stderr);
    assert!(
        err.starts_with("wasm trap: all fuel consumed by WebAssembly\nwasm backtrace:\n"),
        "{err}"
    );
    assert!(err.contains("count"), "{err}");
    assert!(text(&w.stderr).contains("all fuel consumed by WebAssembly"));
}

/// Calls, indirect and tail calls, loops, `if`, `br_table`, bulk memory and table
/// operations and `memory.grow`, under budgets around what each program needs: Kiln and
/// wasmtime agree on the exit status of every run (the exact fuel each needs).
#[test]
fn fuel_is_counted_as_wasmtime_counts_it() {
    let dir = tempfile::tempdir().unwrap();
    let programs = [
        (
            "calls",
            "(func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
          (func $g (result i32) (return_call $f (i32.const 2)))
          (table 2 funcref) (elem (i32.const 0) $f)",
            "(drop (call $f (i32.const 1))) (drop (call $g))
          (drop (call_indirect (param i32) (result i32) (i32.const 5) (i32.const 0)))
          (if (i32.const 1) (then (nop)) (else (drop (i32.const 2))))
          (block (block (br_table 0 1 (i32.const 1))))",
        ),
        (
            "bulk",
            "(data \"0123456789\") (table 100 funcref)",
            "(memory.fill (i32.const 0) (i32.const 1) (i32.const 100))
          (memory.fill (i32.const 0) (i32.const 1) (i32.const 1000))
          (memory.copy (i32.const 0) (i32.const 100) (i32.const 129))
          (memory.fill (i32.const 0) (i32.const 1) (global.get $n))
          (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 10))
          (table.fill (i32.const 0) (ref.null func) (i32.const 50))
          (drop (memory.grow (i32.const 3)))
          (drop (memory.grow (i32.const 100000)))
          (drop (table.grow (ref.null func) (i32.const 7)))
          (loop)",
        ),
    ];
    for (name, funcs, body) in programs {
        let wat = write(
            dir.path(),
            &format!("{name}.wat"),
            &format!(
                r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (global $n (mut i32) (i32.const 300))
  {funcs}
  (func (export "_start") {body} (call $exit (i32.const 7))))
"#
            ),
        );
        // The least fuel with which wasmtime runs the program to its end.
        let (mut lo, mut hi) = (0u64, 4096u64);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if fuel_run_wasmtime(&wat, mid) == 7 {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        eprintln!("{name}: wasmtime needs {hi} fuel");
        for fuel in [hi - 1, hi] {
            let (k, w) = fuel_run(&wat, fuel);
            assert_eq!(
                k.status,
                w.status,
                "{name} with {fuel} fuel: {}",
                text(&k.stderr)
            );
        }
    }
}

/// The exit status of `wasmtime run -W fuel=N`.
fn fuel_run_wasmtime(wat: &Path, fuel: u64) -> i32 {
    let out = kiln_testsuite::programs::run_clean(
        &kiln_testsuite::programs::wasmtime(),
        &[
            "run".to_string(),
            "-W".into(),
            format!("fuel={fuel}"),
            wat.display().to_string(),
        ],
        &[],
        wat.parent().unwrap(),
    );
    out.status
}

/// Code compiled without `--fuel` has no fuel accounting: its CLIF never touches
/// `vmctx.fuel` (+96) and has no `all fuel consumed` trap (user code 16).
#[test]
fn without_fuel_nothing_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "count.wat", COUNT_TO_100);
    let clif = |name: &str, extra: &[&str]| unoptimised_clif(&wat, &dir.path().join(name), extra);
    let plain = clif("plain", &[]);
    let fueled = clif("fueled", &["--fuel", "1000"]);
    assert!(
        !plain.contains("+96") && !plain.contains("user16"),
        "{plain}"
    );
    assert!(
        fueled.contains("+96") && fueled.contains("user16"),
        "{fueled}"
    );
}
