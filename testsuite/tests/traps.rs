//! Traps at run time: every trap kind, stack exhaustion whatever the native stack size,
//! `proc_exit`, `--unknown-imports=trap`, demangled names and DWARF source lines.
//!
//! Each program (`testsuite/programs/traps/`) is compiled by `kiln` and run; its stderr must
//! start with `wasm trap: <reason>` in wasmtime's wording, then `wasm backtrace:` and the
//! frames, and it must exit with 134. The same module is run under `wasmtime run` (the
//! oracle): same exit status, same reason, and for the `.wat` programs the very same frames
//! (code offsets and names).

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::SystemTime;

use kiln_testsuite::programs::{kiln, programs_dir, repo_root, wasmtime};

fn traps_dir() -> PathBuf {
    repo_root().join("testsuite/programs/traps")
}

/// What a run printed and how it ended.
#[derive(Debug)]
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// `program` with an empty environment but for a minimal PATH (no RUST_BACKTRACE either).
fn command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear().env("PATH", "/usr/bin:/bin");
    cmd
}

fn run(cmd: &mut Command) -> Run {
    cmd.stdin(Stdio::null());
    let out = kiln_testsuite::programs::output_retrying_busy(cmd);
    use std::os::unix::process::ExitStatusExt;
    Run {
        status: out
            .status
            .code()
            .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0)),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Compiles `input` with `kiln compile <flags>` into `dir`; returns the executable.
fn compile(input: &Path, dir: &Path, flags: &[&str]) -> PathBuf {
    let exe = dir.join(input.file_stem().unwrap());
    let mut args: Vec<OsString> = vec![
        "compile".into(),
        input.into(),
        "-o".into(),
        exe.clone().into(),
    ];
    args.extend(flags.iter().map(OsString::from));
    let (code, stderr) = kiln(args);
    assert_eq!(
        code,
        0,
        "kiln compile {} failed:\n{stderr}",
        input.display()
    );
    exe
}

fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("kiln-traps-")
        .tempdir()
        .unwrap()
}

/// One frame of a backtrace: the wasm offset (absent for a stack-limit check in a prologue)
/// and `module!function`.
type Frame = (Option<u32>, String);

/// A parsed kiln trap report.
#[derive(Debug)]
struct Report {
    reason: String,
    /// Lines between the reason and `wasm backtrace:`.
    details: Vec<String>,
    frames: Vec<Frame>,
    /// `at file:line:col` under each frame, if any.
    locations: Vec<Option<String>>,
}

fn parse_frame(line: &str) -> Option<Frame> {
    let (index, rest) = line.trim_start().split_once(": ")?;
    index.parse::<u32>().ok()?;
    Some(match rest.trim_start().split_once(" - ") {
        Some((off, name)) if off.starts_with("0x") => (
            Some(u32::from_str_radix(&off[2..], 16).ok()?),
            name.to_string(),
        ),
        _ => (None, rest.trim_start().to_string()),
    })
}

/// Parses kiln's stderr, asserting its layout.
fn parse_report(stderr: &str) -> Report {
    let mut lines = stderr.lines();
    let first = lines.next().unwrap_or_default();
    let reason = first
        .strip_prefix("wasm trap: ")
        .unwrap_or_else(|| panic!("the first line must be `wasm trap: ...`:\n{stderr}"))
        .to_string();
    let mut details = Vec::new();
    for line in lines.by_ref() {
        if line == "wasm backtrace:" {
            break;
        }
        details.push(line.to_string());
    }
    let mut frames = Vec::new();
    let mut locations: Vec<Option<String>> = Vec::new();
    for line in lines {
        if let Some(at) = line.trim_start().strip_prefix("at ") {
            *locations.last_mut().expect("`at` follows a frame") = Some(at.to_string());
            continue;
        }
        let frame =
            parse_frame(line).unwrap_or_else(|| panic!("not a backtrace line: {line:?}\n{stderr}"));
        frames.push(frame);
        locations.push(None);
    }
    assert!(!frames.is_empty(), "no backtrace:\n{stderr}");
    Report {
        reason,
        details,
        frames,
        locations,
    }
}

/// Parses `wasmtime run`'s error chain: (the frames, every `wasm trap: ...` or other cause
/// line after the backtrace, `at` lines of the frames).
fn parse_wasmtime(stderr: &str) -> (Vec<Frame>, Vec<String>, Vec<Option<String>>) {
    let mut frames = Vec::new();
    let mut causes = Vec::new();
    let mut locations: Vec<Option<String>> = Vec::new();
    let mut in_trace = false;
    for line in stderr.lines() {
        if line.ends_with("wasm backtrace:") {
            in_trace = true;
            continue;
        }
        if !in_trace {
            continue;
        }
        let t = line.trim_start();
        if let Some(at) = t.strip_prefix("at ") {
            if let Some(l) = locations.last_mut() {
                *l = Some(at.to_string());
            }
            continue;
        }
        let Some((_, rest)) = t.split_once(": ") else {
            continue;
        };
        let is_cause = rest.starts_with("wasm trap: ")
            || rest.starts_with("memory fault")
            || rest.starts_with("unknown import")
            || rest == UNCAUGHT;
        if is_cause {
            causes.push(rest.to_string());
        } else if causes.is_empty() {
            if let Some(f) = parse_frame(line) {
                frames.push(f);
                locations.push(None);
            }
        }
    }
    (frames, causes, locations)
}

fn run_wasmtime(module: &Path, env: &[(&str, &str)]) -> Run {
    run_wasmtime_with(module, env, &[])
}

/// `wasmtime run <flags> module` (flags such as `-W memory64=y`).
fn run_wasmtime_with(module: &Path, env: &[(&str, &str)], flags: &[&str]) -> Run {
    let mut cmd = command(wasmtime());
    cmd.arg("run").args(flags).arg(module);
    let r = run(cmd.envs(env.iter().copied()));
    assert!(
        !r.stderr.contains("Stack backtrace:"),
        "RUST_BACKTRACE must not reach wasmtime"
    );
    r
}

/// Compiles and runs `name.wat`, checks the report against the expectations and against
/// `wasmtime run`; returns kiln's report.
fn check_wat(name: &str, reason: &str, functions: &[&str]) -> Report {
    check_wat_with(name, reason, functions, &[])
}

fn check_wat_with(name: &str, reason: &str, functions: &[&str], flags: &[&str]) -> Report {
    check_wat_full(name, reason, functions, flags, &[])
}

/// [`check_wat_with`], with `wasmtime_flags` for the oracle (the features a module needs).
fn check_wat_full(
    name: &str,
    reason: &str,
    functions: &[&str],
    flags: &[&str],
    wasmtime_flags: &[&str],
) -> Report {
    let wat = traps_dir().join(format!("{name}.wat"));
    let dir = tempdir();
    let exe = compile(&wat, dir.path(), flags);
    let native = run(&mut command(&exe));
    assert_eq!(native.status, 134, "{name}: exit status\n{}", native.stderr);
    let report = parse_report(&native.stderr);
    assert_eq!(report.reason, reason, "{name}:\n{}", native.stderr);
    let module = name;
    let names: Vec<String> = report.frames.iter().map(|f| f.1.clone()).collect();
    let expected: Vec<String> = functions.iter().map(|f| format!("{module}!{f}")).collect();
    assert_eq!(names, expected, "{name}: backtrace\n{}", native.stderr);

    let oracle = run_wasmtime_with(&wat, &[], wasmtime_flags);
    assert_eq!(
        oracle.status, 134,
        "{name}: wasmtime's exit status\n{}",
        oracle.stderr
    );
    let (frames, causes, _) = parse_wasmtime(&oracle.stderr);
    assert_eq!(
        causes.last().map(String::as_str),
        Some(format!("wasm trap: {reason}").as_str()),
        "{name}: wasmtime's reason\n{}",
        oracle.stderr
    );
    assert_eq!(
        report.frames, frames,
        "{name}: kiln's frames differ from wasmtime's\n--- kiln ---\n{}--- wasmtime ---\n{}",
        native.stderr, oracle.stderr
    );
    // Memory faults: the same detail line as wasmtime's.
    let wt_details: Vec<String> = causes[..causes.len() - 1].to_vec();
    assert_eq!(
        report.details, wt_details,
        "{name}: detail lines\n{}",
        native.stderr
    );
    report
}

const OOB: &str = "out of bounds memory access";

/// How wasmtime words an uncaught exception (a cause line of its own, not a `wasm trap:`).
const UNCAUGHT: &str = "thrown Wasm exception";

/// An exception nothing catches ends the program like a trap: `wasm trap: thrown Wasm
/// exception` (wasmtime's words), the backtrace from the last throw (a `throw_ref` that
/// rethrew it), exit status 134. wasmtime reports the same frames but exits with 1.
#[test]
fn uncaught_exception_is_reported_like_a_trap() {
    let name = "uncaught_exception";
    let wat = traps_dir().join(format!("{name}.wat"));
    let dir = tempdir();
    let exe = compile(&wat, dir.path(), &[]);
    let native = run(&mut command(&exe));
    assert_eq!(native.status, 134, "exit status\n{}", native.stderr);
    let report = parse_report(&native.stderr);
    assert_eq!(report.reason, UNCAUGHT, "{}", native.stderr);
    let names: Vec<&str> = report.frames.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names,
        [
            "uncaught_exception!rethrower",
            "uncaught_exception!outer",
            "uncaught_exception!<wasm function 4>"
        ],
        "{}",
        native.stderr
    );

    let mut cmd = command(wasmtime());
    cmd.args(["run", "-W", "exceptions=y"]).arg(&wat);
    let oracle = run(&mut cmd);
    assert_eq!(
        oracle.status, 1,
        "wasmtime's exit status\n{}",
        oracle.stderr
    );
    let (frames, causes, _) = parse_wasmtime(&oracle.stderr);
    assert_eq!(causes, [UNCAUGHT], "wasmtime's reason\n{}", oracle.stderr);
    assert_eq!(
        report.frames, frames,
        "kiln's frames differ from wasmtime's\n--- kiln ---\n{}--- wasmtime ---\n{}",
        native.stderr, oracle.stderr
    );
}

#[test]
fn out_of_bounds_load() {
    let r = check_wat("oob_load", OOB, &["load_past_end", "caller", "_start"]);
    assert_eq!(
        r.details,
        ["memory fault at wasm address 0x10000 in linear memory of size 0x10000"]
    );
}

/// Frames of inlined functions (a wrapper calling a wrapper, a recursive one inlined into
/// itself) are in the backtrace, at their calls' offsets, as wasmtime shows them.
#[test]
fn inlined_functions_keep_their_frames() {
    check_wat(
        "inlined_calls",
        "integer divide by zero",
        &[
            "boom", "inner", "outer", "down", "down", "down", "down", "_start",
        ],
    );
}

/// A memory fault in the code of a function inlined into its caller: the inlined function's
/// frame is on top, at its own access, and the caller's at the call that faulted (of two
/// calls of the same function, both inlined), as wasmtime shows them.
#[test]
fn a_fault_in_an_inlined_function_keeps_its_frame() {
    let r = check_wat("inlined_store", OOB, &["store_at", "twice", "_start"]);
    assert_eq!(
        r.details,
        ["memory fault at wasm address 0x10000 in linear memory of size 0x10000"]
    );
    check_wat("inlined_load", OOB, &["eq_load", "sum", "_start"]);
}

#[test]
fn out_of_bounds_store_past_4_gib() {
    check_wat("oob_store", OOB, &["store_far", "caller", "_start"]);
}

/// A fault in memory 1's own guard region, reported with memory 1's size.
#[test]
fn out_of_bounds_load_in_a_second_memory() {
    let r = check_wat_full(
        "oob_memory1",
        OOB,
        &["load_second", "_start"],
        &[],
        &["-W", "multi-memory=y"],
    );
    assert_eq!(
        r.details,
        ["memory fault at wasm address 0x10000 in linear memory of size 0x10000"]
    );
}

/// An index past a 64-bit memory's length: the explicit bounds check traps.
#[test]
fn out_of_bounds_store_in_a_64_bit_memory() {
    check_wat_full(
        "oob_memory64",
        OOB,
        &["store_far", "_start"],
        &[],
        &["-W", "memory64=y,multi-memory=y"],
    );
}

/// An atomic access whose address is not a multiple of its size: `unaligned atomic`
/// (wasmtime's and the spec tests' wording), with wasmtime's frames.
#[test]
fn unaligned_atomic() {
    check_wat_full(
        "unaligned_atomic",
        "unaligned atomic",
        &["bump", "caller", "_start"],
        &[],
        &["-W", "threads=y"],
    );
}

/// An aligned atomic compare-exchange in the guard region: the fault inside the atomic
/// instruction is a recorded trap site, reported like a plain load's.
#[test]
fn out_of_bounds_atomic_in_the_guard_region() {
    let r = check_wat_full(
        "atomic_oob",
        OOB,
        &["swap", "caller", "_start"],
        &[],
        &["-W", "threads=y"],
    );
    assert_eq!(
        r.details,
        ["memory fault at wasm address 0x10000 in linear memory of size 0x10000"]
    );
}

/// An atomic read-modify-write at the length of a 64-bit memory: its bounds check traps.
#[test]
fn out_of_bounds_atomic_in_a_64_bit_memory() {
    check_wat_full(
        "atomic_oob_memory64",
        OOB,
        &["set_bits", "_start"],
        &[],
        &["-W", "threads=y,memory64=y,multi-memory=y"],
    );
}

/// `memory.atomic.wait32` on an unshared memory: wasmtime's trap, after the address checks.
#[test]
fn wait_on_an_unshared_memory() {
    check_wat_full(
        "wait_unshared",
        "atomic wait on non-shared memory",
        &["sleep", "_start"],
        &[],
        &["-W", "threads=y"],
    );
}

/// `memory.atomic.notify` at an unaligned address, on an unshared memory.
#[test]
fn unaligned_notify() {
    check_wat_full(
        "notify_unaligned",
        "unaligned atomic",
        &["wake", "_start"],
        &[],
        &["-W", "threads=y"],
    );
}

/// `memory.atomic.wait64` at a shared memory's length: out of bounds from the explicit
/// check (so, as in wasmtime, no memory fault line).
#[test]
fn out_of_bounds_wait() {
    let r = check_wat_full(
        "wait_oob",
        OOB,
        &["sleep", "_start"],
        &[],
        &["-W", "threads=y,shared-memory=y,multi-memory=y"],
    );
    assert!(r.details.is_empty(), "{:?}", r.details);
}

/// wait/notify check their address in wasmtime's order: an index plus offset past the
/// index type (4 GiB for a 32-bit memory, 2^64 for a 64-bit one) is out of bounds before
/// any alignment check.
#[test]
fn wait_and_notify_offsets_past_the_index_type() {
    check_wat_full(
        "notify_offset_wraps",
        OOB,
        &["wake", "_start"],
        &[],
        &["-W", "threads=y"],
    );
    check_wat_full(
        "wait64_overflow",
        OOB,
        &["sleep", "_start"],
        &[],
        &["-W", "threads=y,shared-memory=y,memory64=y,multi-memory=y"],
    );
}

/// Bad memory declarations found when the executable starts: a data segment past the end
/// of memory 3 traps as in wasmtime (exit 134, same reason); a 64-bit memory of 2^48 pages
/// (2^64 bytes, valid) cannot be reserved and says so.
#[test]
fn bad_memories_at_instantiation() {
    let dir = tempdir();
    let segment = dir.path().join("segment_past_memory3.wat");
    std::fs::write(
        &segment,
        r#"(module
  (memory (export "memory") 1)
  (memory 1) (memory 1) (memory $m3 1 2)
  (data (memory $m3) (i32.const 0xfff0) "seventeen bytes!!")
  (func (export "_start")))"#,
    )
    .unwrap();
    let exe = compile(&segment, dir.path(), &[]);
    let native = run(&mut command(&exe));
    assert_eq!(native.status, 134, "{}", native.stderr);
    assert_eq!(native.stderr, format!("wasm trap: {OOB}\n"));
    let oracle = run_wasmtime_with(&segment, &[], &["-W", "multi-memory=y"]);
    assert_eq!(oracle.status, 134, "{}", oracle.stderr);
    assert!(
        oracle.stderr.contains(&format!("wasm trap: {OOB}")),
        "{}",
        oracle.stderr
    );

    let huge = dir.path().join("huge64.wat");
    std::fs::write(
        &huge,
        r#"(module
  (memory (export "memory") 1)
  (memory i64 0x1_0000_0000_0000)
  (func (export "_start")))"#,
    )
    .unwrap();
    let exe = compile(&huge, dir.path(), &[]);
    let native = run(&mut command(&exe));
    assert_eq!(native.status, 1, "{}", native.stderr);
    assert_eq!(
        native.stderr,
        "kiln: cannot instantiate the module: cannot reserve address space for a linear \
         memory of 281474976710656 pages (18446744073709551616 bytes)\n"
    );
    let oracle = run_wasmtime_with(&huge, &[], &["-W", "memory64=y,multi-memory=y"]);
    assert_ne!(oracle.status, 0, "wasmtime cannot run it either");
}

#[test]
fn memory_fill_out_of_bounds() {
    check_wat("memory_fill", OOB, &["fill", "_start"]);
}

#[test]
fn memory_copy_out_of_bounds() {
    check_wat("memory_copy", OOB, &["copy", "_start"]);
}

/// A range whose end wraps past 2^64 in a 64-bit memory is out of bounds.
#[test]
fn memory_copy_wrapping_in_a_64_bit_memory() {
    check_wat_full(
        "memory_copy_memory64_wraps",
        OOB,
        &["copy", "_start"],
        &[],
        &["-W", "memory64=y,multi-memory=y"],
    );
}

#[test]
fn memory_init_out_of_bounds() {
    check_wat("memory_init", OOB, &["init", "_start"]);
}

#[test]
fn integer_divide_by_zero() {
    check_wat(
        "div_by_zero",
        "integer divide by zero",
        &["divide", "_start"],
    );
    check_wat(
        "rem_by_zero",
        "integer divide by zero",
        &["remainder", "_start"],
    );
}

#[test]
fn integer_overflow_in_division() {
    check_wat("div_overflow", "integer overflow", &["divide", "_start"]);
}

#[test]
fn nan_to_integer() {
    check_wat(
        "trunc_nan",
        "invalid conversion to integer",
        &["to_int", "_start"],
    );
}

#[test]
fn float_too_big_for_integer() {
    check_wat("trunc_overflow", "integer overflow", &["to_int", "_start"]);
}

#[test]
fn unreachable() {
    check_wat(
        "unreachable",
        "wasm `unreachable` instruction executed",
        &["boom", "_start"],
    );
}

#[test]
fn call_indirect_to_null() {
    check_wat(
        "call_indirect_null",
        "uninitialized element",
        &["dispatch", "_start"],
    );
}

/// Typed function references: both null traps, worded as wasmtime words them.
#[test]
fn call_ref_and_ref_as_non_null_of_null() {
    check_wat("call_ref_null", "null reference", &["dispatch", "_start"]);
    check_wat("ref_as_non_null", "null reference", &["check", "_start"]);
}

#[test]
fn call_indirect_with_the_wrong_type() {
    check_wat(
        "call_indirect_type",
        "indirect call type mismatch",
        &["dispatch", "_start"],
    );
}

#[test]
fn call_indirect_past_the_table() {
    check_wat(
        "call_indirect_oob",
        "undefined element: out of bounds table access",
        &["dispatch", "_start"],
    );
}

#[test]
fn table_get_out_of_bounds() {
    check_wat(
        "table_get_oob",
        "undefined element: out of bounds table access",
        &["get", "_start"],
    );
}

#[test]
fn trap_five_calls_deep() {
    let r = check_wat(
        "deep",
        "integer divide by zero",
        &["level4", "level3", "level2", "level1", "_start"],
    );
    assert!(r.frames.iter().all(|f| f.0.is_some()), "{r:?}");
}

/// A trap after a hundred thousand tail calls: the tail-called frames are gone, as in
/// wasmtime's backtrace.
#[test]
fn trap_in_a_tail_called_function() {
    let r = check_wat(
        "tail_call",
        "integer divide by zero",
        &["pong", "enter", "_start"],
    );
    assert!(r.frames.iter().all(|f| f.0.is_some()), "{r:?}");
}

#[test]
fn recursion_exhausts_the_stack() {
    let r = check_wat(
        "recursion",
        "call stack exhausted",
        &["recurse"; kiln_runtime::traps::MAX_FRAMES],
    );
    // The stack-limit check belongs to no instruction; the callers are the call.
    assert_eq!(r.frames[0].0, None);
}

/// Runs `exe args` under `ulimit -s <kib>`.
fn run_with_stack_limit(exe: &Path, kib: u32, args: &[&str]) -> Run {
    let script = format!("ulimit -s {kib} && exec \"$0\" \"$@\"");
    run(command("sh").arg("-c").arg(script).arg(exe).args(args))
}

#[test]
fn stack_exhaustion_whatever_the_native_stack() {
    let wat = traps_dir().join("recursion.wat");
    let dir = tempdir();
    for flags in [
        &[][..],
        &["--max-wasm-stack", "268435456"],
        &["--max-wasm-stack", "65536"],
    ] {
        let exe = compile(&wat, dir.path(), flags);
        for kib in [256, 8192] {
            let r = run_with_stack_limit(&exe, kib, &[]);
            assert_eq!(r.status, 134, "{flags:?}, ulimit -s {kib}:\n{}", r.stderr);
            assert!(
                r.stderr
                    .starts_with("wasm trap: call stack exhausted\nwasm backtrace:\n"),
                "{flags:?}, ulimit -s {kib}:\n{}",
                r.stderr
            );
        }
    }
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Builds `programs/traps/<src>` with `cmd` (`{src}` and `{out}` substituted) into the
/// cargo target dir unless the output is newer than the source.
fn build(src: &str, out_name: &str, cmd: &[&str]) -> PathBuf {
    let _g = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = traps_dir().join(src);
    let dir = programs_dir().join("traps");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(out_name);
    if mtime(&out).is_some() && mtime(&out) >= mtime(&src) {
        return out;
    }
    let tmp = dir.join(format!("{out_name}.{}.tmp", std::process::id()));
    let args: Vec<String> = cmd
        .iter()
        .map(|a| {
            a.replace("{src}", src.to_str().unwrap())
                .replace("{out}", tmp.to_str().unwrap())
        })
        .collect();
    // clang through `programs::clang`, which never lets it run a wasm-opt from PATH.
    let mut c = if args[0] == "clang-16" {
        kiln_testsuite::programs::clang()
    } else {
        Command::new(&args[0])
    };
    c.args(&args[1..]);
    for var in ["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_TARGET"] {
        c.env_remove(var);
    }
    let o = c
        .output()
        .unwrap_or_else(|e| panic!("cannot run {args:?}: {e} (scripts/setup)"));
    assert!(
        o.status.success(),
        "{args:?} failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::rename(&tmp, &out).unwrap();
    out
}

fn clang(src: &str, out: &str, flags: &[&str]) -> PathBuf {
    let mut cmd = vec!["clang-16", "--target=wasm32-wasi"];
    cmd.extend_from_slice(flags);
    cmd.extend_from_slice(&["{src}", "-o", "{out}"]);
    build(src, out, &cmd)
}

#[test]
fn c_recursion_with_large_frames() {
    let wasm = clang("c/recurse_big_frame.c", "recurse_big_frame.wasm", &["-O2"]);
    let dir = tempdir();
    // Bounded, it finishes normally.
    let exe = compile(&wasm, dir.path(), &[]);
    let r = run(command(&exe).arg("1000"));
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("result "), "{}", r.stdout);
    for flags in [&[][..], &["--max-wasm-stack", "134217728"]] {
        let exe = compile(&wasm, dir.path(), flags);
        for kib in [256, 8192] {
            let r = run_with_stack_limit(&exe, kib, &[]);
            assert_eq!(r.status, 134, "{flags:?}, ulimit -s {kib}:\n{}", r.stderr);
            let report = parse_report(&r.stderr);
            assert_eq!(report.reason, "call stack exhausted");
            assert_eq!(report.frames.len(), kiln_runtime::traps::MAX_FRAMES);
            assert!(
                report.frames.iter().all(|f| f.1 == "<unknown>!descend"),
                "{}",
                r.stderr
            );
        }
    }
    let oracle = run_wasmtime(&wasm, &[]);
    assert_eq!(oracle.status, 134, "{}", oracle.stderr);
    let (_, causes, _) = parse_wasmtime(&oracle.stderr);
    assert_eq!(causes.last().unwrap(), "wasm trap: call stack exhausted");
}

#[test]
fn dwarf_source_lines() {
    let wasm = clang("c/debug_trap.c", "debug_trap.wasm", &["-O0", "-g"]);
    let dir = tempdir();
    let exe = compile(&wasm, dir.path(), &[]);
    let r = run(&mut command(&exe));
    assert_eq!(r.status, 134, "{}", r.stderr);
    let report = parse_report(&r.stderr);
    assert_eq!(report.reason, "wasm `unreachable` instruction executed");
    let names: Vec<&str> = report.frames.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names[..3],
        [
            "<unknown>!check_index",
            "<unknown>!lookup",
            "<unknown>!main"
        ],
        "{}",
        r.stderr
    );
    let src = traps_dir().join("c/debug_trap.c");
    let at = |line: u32| Some(format!("{}:{line}", src.display()));
    let file_line = |l: &Option<String>| {
        l.as_ref().map(|s| {
            s.rsplit_once(':')
                .map_or(s.clone(), |(fl, _col)| fl.to_string())
        })
    };
    assert_eq!(file_line(&report.locations[0]), at(6), "{}", r.stderr);
    assert_eq!(file_line(&report.locations[1]), at(11), "{}", r.stderr);
    assert_eq!(file_line(&report.locations[2]), at(19), "{}", r.stderr);

    // wasmtime shows the same lines when asked to (WASMTIME_BACKTRACE_DETAILS=1).
    let oracle = run_wasmtime(&wasm, &[("WASMTIME_BACKTRACE_DETAILS", "1")]);
    assert_eq!(oracle.status, 134);
    let (frames, _, locations) = parse_wasmtime(&oracle.stderr);
    let offsets = |f: &[Frame]| f.iter().map(|f| f.0).collect::<Vec<_>>();
    assert_eq!(offsets(&report.frames), offsets(&frames));
    assert_eq!(
        report.locations, locations,
        "source lines differ from wasmtime's\n--- kiln ---\n{}--- wasmtime ---\n{}",
        r.stderr, oracle.stderr
    );
}

#[test]
fn cpp_names_are_demangled() {
    let wasm = clang(
        "cpp/mangled.cpp",
        "mangled.wasm",
        &["-x", "c++", "-O1", "-fno-exceptions", "-fno-rtti"],
    );
    let dir = tempdir();
    let exe = compile(&wasm, dir.path(), &[]);
    let r = run(&mut command(&exe));
    assert_eq!(r.status, 134, "{}", r.stderr);
    let report = parse_report(&r.stderr);
    let names: Vec<&str> = report.frames.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        names[..3],
        [
            "<unknown>!kiln_test::Parser::parse(int)",
            "<unknown>!int kiln_test::run<int>(int)",
            "<unknown>!main"
        ],
        "{}",
        r.stderr
    );
    let oracle = run_wasmtime(&wasm, &[]);
    assert_eq!(oracle.status, 134);
    assert_eq!(parse_wasmtime(&oracle.stderr).0, report.frames);
}

#[test]
fn rust_names_are_demangled() {
    for (out, mangling) in [("panic_legacy.wasm", "legacy"), ("panic_v0.wasm", "v0")] {
        let version = format!("symbol-mangling-version={mangling}");
        let mut cmd = vec!["rustc", "--target", "wasm32-wasip1", "-O", "-C", &version];
        if mangling == "legacy" {
            // Stable rustc accepts `legacy` only with -Z; it is the default anyway.
            cmd.truncate(4);
        }
        cmd.extend_from_slice(&["--crate-name", "panic", "{src}", "-o", "{out}"]);
        let wasm = build("rust/panic.rs", out, &cmd);
        let dir = tempdir();
        let exe = compile(&wasm, dir.path(), &[]);
        let r = run(&mut command(&exe));
        assert_eq!(r.status, 134, "{}", r.stderr);
        assert!(r.stderr.contains("panicked at"), "{}", r.stderr);
        let report_at = r.stderr.find("wasm trap: ").unwrap();
        let report = parse_report(&r.stderr[report_at..]);
        assert_eq!(report.reason, "wasm `unreachable` instruction executed");
        let names: Vec<&str> = report
            .frames
            .iter()
            .map(|f| f.1.split_once('!').unwrap().1)
            .collect();
        let pos = |n: &str| {
            names
                .iter()
                .position(|f| *f == n)
                .unwrap_or_else(|| panic!("{mangling}: no frame {n}:\n{}", r.stderr))
        };
        assert!(pos("panic::level_three") < pos("panic::level_two"));
        assert!(pos("panic::level_two") < pos("panic::level_one"));
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with("_ZN") && !n.starts_with("_R")),
            "{mangling}: a mangled name is left:\n{}",
            r.stderr
        );
    }
}

#[test]
fn proc_exit_and_return() {
    let dir = tempdir();
    for (name, status) in [("proc_exit", 42), ("return", 0)] {
        let wat = traps_dir().join(format!("{name}.wat"));
        let exe = compile(&wat, dir.path(), &[]);
        let r = run(&mut command(&exe));
        assert_eq!((r.status, r.stderr.as_str()), (status, ""), "{name}");
        assert_eq!(
            run_wasmtime(&wat, &[]).status,
            status,
            "{name} under wasmtime"
        );
    }
}

#[test]
fn unknown_import_traps_when_called() {
    let reason = "call to an import Kiln does not provide (compiled with --unknown-imports=trap)";
    let dir = tempdir();
    for (name, functions) in [
        ("unknown_import", &["use_it", "_start"]),
        ("unknown_import_table", &["dispatch", "_start"]),
    ] {
        let wat = traps_dir().join(format!("{name}.wat"));
        let exe = compile(&wat, dir.path(), &["--unknown-imports=trap"]);
        let r = run(&mut command(&exe));
        assert_eq!(r.status, 134, "{name}:\n{}", r.stderr);
        let report = parse_report(&r.stderr);
        assert_eq!(report.reason, reason);
        let names: Vec<String> = report.frames.iter().map(|f| f.1.clone()).collect();
        let expected: Vec<String> = functions.iter().map(|f| format!("{name}!{f}")).collect();
        assert_eq!(names, expected, "{}", r.stderr);
        // wasmtime -Wunknown-imports-trap=y fails the same call, at the same place.
        let mut cmd = command(wasmtime());
        cmd.args(["run", "-Wunknown-imports-trap=y"]).arg(&wat);
        let oracle = run(&mut cmd);
        assert_ne!(oracle.status, 0);
        assert_eq!(
            parse_wasmtime(&oracle.stderr).0,
            report.frames,
            "{}",
            oracle.stderr
        );
    }
}
