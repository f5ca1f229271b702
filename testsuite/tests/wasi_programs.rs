//! WASI programs (C built with clang-16, Rust built for wasm32-wasip1) compiled by `kiln` and
//! run natively, compared byte for byte (stdout, stderr, exit status) with `wasmtime run`.

use kiln_testsuite::programs::{
    assert_same_as_wasmtime, c_program, c_program_with, kiln, run_both, rust_program, sandbox_tree,
    wat_program, Invocation,
};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn hello_prints_args_and_granted_env() {
    let inv = Invocation::new()
        .args(&["one", "two words", "", "--flag=x"])
        .grant("--argv0", "hello")
        .grant("--env", "GREETING=hi there")
        .grant("--env", "FROMHOST")
        .grant("--env", "EMPTY=")
        .host_env("FROMHOST", "value from the host")
        .host_env("NOT_GRANTED", "secret")
        .host_env("HOME", "/home/nobody");
    let out = assert_same_as_wasmtime(&c_program("hello"), &inv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0);
    assert!(stdout.contains("argv[0]=hello\n"), "{stdout}");
    assert!(stdout.contains("argv[2]=two words\n"), "{stdout}");
    assert!(stdout.contains("env GREETING=hi there\n"), "{stdout}");
    assert!(
        stdout.contains("env FROMHOST=value from the host\n"),
        "{stdout}"
    );
    assert!(stdout.contains("env EMPTY=\n"), "{stdout}");
    assert!(stdout.contains("env NOT_GRANTED=(unset)\n"), "{stdout}");
    assert!(stdout.contains("env HOME=(unset)\n"), "{stdout}");
    assert_eq!(text(&out.stderr), "this line goes to stderr\n");
}

#[test]
fn hello_without_grants_sees_nothing() {
    // `--env K` for a K the host does not have: absent in the program too.
    let inv = Invocation::new()
        .grant("--argv0", "hello.wasm")
        .grant("--env", "FROMHOST");
    let out = assert_same_as_wasmtime(&c_program("hello"), &inv);
    assert!(text(&out.stdout).contains("argc=1\n"));
    assert!(text(&out.stdout).contains("env FROMHOST=(unset)\n"));
}

#[test]
fn inherit_env_passes_the_host_environment() {
    // The inherited environment plus the `--env` entries. (A name both inherited and given
    // with `--env` appears twice in wasmtime's environ, inherited first: not tested here.)
    let inv = Invocation::new()
        .grant_each(&["--inherit-env"], &["-S", "inherit-env"])
        .grant("--argv0", "hello")
        .grant("--env", "GREETING=fixed")
        .host_env("FROMHOST", "inherited")
        .host_env("NOT_GRANTED", "inherited too");
    let out = assert_same_as_wasmtime(&c_program("hello"), &inv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0);
    assert!(stdout.contains("env FROMHOST=inherited\n"), "{stdout}");
    assert!(stdout.contains("env GREETING=fixed\n"), "{stdout}");
    assert!(
        stdout.contains("env NOT_GRANTED=inherited too\n"),
        "{stdout}"
    );
    assert!(stdout.contains("env PATH=/usr/bin:/bin\n"), "{stdout}");
}

#[test]
fn proc_exit_status_3() {
    let out = assert_same_as_wasmtime(&c_program("exit_proc"), &Invocation::new());
    assert_eq!(out.status, 3);
    assert_eq!(text(&out.stdout), "about to call proc_exit(3)\n");
}

#[test]
fn return_7_from_main() {
    let out = assert_same_as_wasmtime(&c_program("exit_return"), &Invocation::new());
    assert_eq!(out.status, 7);
    assert_eq!(text(&out.stdout), "returning 7 from main\n");
}

#[test]
fn big_initialised_array() {
    let out = assert_same_as_wasmtime(&c_program("big_array"), &Invocation::new());
    assert_eq!(out.status, 0);
    assert!(text(&out.stdout).contains("table: 262144 entries, 1048576 bytes\n"));
    assert!(text(&out.stdout).contains("table[0]=5bd1e995 "));
}

/// Four memories, two of them 64-bit, one grown past 4 GiB with a store and a load above
/// it; data segments in each, `memory.copy` between index types, size and grow per memory.
#[test]
fn multi_memory_and_memory64_match_wasmtime() {
    let wat =
        kiln_testsuite::programs::repo_root().join("testsuite/programs/wasi/wat/memories.wat");
    let inv = Invocation::new().grant_each(&[], &["-W", "memory64=y,multi-memory=y"]);
    let out = assert_same_as_wasmtime(&wat, &inv);
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("memory 3, 64-bit offset 0x10000\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("0000000000010002\n0123456789abcdef\n"),
        "grown past 4 GiB, then stored and loaded above it:\n{stdout}"
    );
}

#[test]
fn float_math_and_formatting() {
    let out = assert_same_as_wasmtime(&c_program("floats"), &Invocation::new());
    assert_eq!(out.status, 0);
    assert!(text(&out.stdout).contains("NAN=nan -NAN=-nan"));
}

/// Every SIMD instruction family (wasm_simd128.h intrinsics) and auto-vectorised loops.
#[test]
fn simd_intrinsics_and_vectorised_loops() {
    let wasm = c_program_with("simd", &["-msimd128"]);
    let out = assert_same_as_wasmtime(&wasm, &Invocation::new());
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    for family in [
        "memory", "lanes", "integer", "compare", "float", "extended", "saxpy",
    ] {
        assert!(stdout.contains(family), "{stdout}");
    }
}

/// The same with the smallest CPU Kiln targets (no AVX, no FMA): other lowerings, the
/// same results.
#[test]
fn simd_on_x86_64_v2() {
    let wasm = c_program_with("simd", &["-msimd128"]);
    let inv = Invocation::new().grant_each(&["--target-cpu", "x86-64-v2"], &[]);
    let out = assert_same_as_wasmtime(&wasm, &inv);
    assert_eq!(out.status, 0);
}

/// Relaxed SIMD where its results may differ between engines: Kiln makes wasmtime's
/// x86-64 choices.
#[test]
fn relaxed_simd_matches_wasmtime() {
    let wasm = c_program_with("relaxed_simd", &["-mrelaxed-simd"]);
    let out = assert_same_as_wasmtime(&wasm, &Invocation::new());
    assert_eq!(out.status, 0);
    assert!(text(&out.stdout).contains("round 23\n"));
}

/// How many `return_call` and `return_call_indirect` instructions `wasm` contains.
fn count_tail_calls(wasm: &std::path::Path) -> (usize, usize) {
    let bytes = std::fs::read(wasm).unwrap();
    let (mut direct, mut indirect) = (0, 0);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                match ops.read().unwrap() {
                    wasmparser::Operator::ReturnCall { .. } => direct += 1,
                    wasmparser::Operator::ReturnCallIndirect { .. } => indirect += 1,
                    _ => {}
                }
            }
        }
    }
    (direct, indirect)
}

/// Both engines run with a 64 KiB wasm stack: millions of tail calls fit only when each one
/// reuses its caller's frame.
fn small_stack_with_tail_calls() -> Invocation {
    Invocation::new().grant_each(
        &["--max-wasm-stack", "65536"],
        &["-W", "tail-call=y,max-wasm-stack=65536"],
    )
}

/// C with `musttail` built with `-mtail-call`: a mutual recursion three million tail calls
/// deep (`return_call`) and a threaded interpreter whose handlers tail-call each other a
/// million times through a table (`return_call_indirect`), in constant native stack.
#[test]
fn millions_of_tail_calls_in_constant_stack() {
    let wasm = c_program_with("tail_calls", &["-mtail-call"]);
    let (direct, indirect) = count_tail_calls(&wasm);
    assert!(
        direct >= 2 && indirect >= 1,
        "{direct} return_call, {indirect} return_call_indirect"
    );
    let out = assert_same_as_wasmtime(&wasm, &small_stack_with_tail_calls());
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("3000001 is odd (3000001 tail calls)"),
        "{stdout}"
    );
    assert!(stdout.contains("interpreter: "), "{stdout}");
}

/// Tail calls of WASI host functions, directly, through a table and through a typed
/// reference, and a million tail calls that end in a tail call of `proc_exit`.
#[test]
fn tail_calls_to_host_functions() {
    let wasm = wat_program("tail_call_imports");
    let inv = Invocation::new().grant_each(
        &["--max-wasm-stack", "65536"],
        &[
            "-W",
            "tail-call=y,function-references=y,max-wasm-stack=65536",
        ],
    );
    let out = assert_same_as_wasmtime(&wasm, &inv);
    assert_eq!(text(&out.stdout), "tail-called host\n".repeat(3));
    assert_ne!(
        out.status, 0,
        "it exits through proc_exit with a computed status"
    );
}

/// `core::arch::wasm32` intrinsics and vectorised loops in `simd128` functions.
#[test]
fn rust_simd_intrinsics() {
    let out = assert_same_as_wasmtime(&rust_program(), &Invocation::new().args(&["simd"]));
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("shuffles ") && stdout.contains("stats "),
        "{stdout}"
    );
}

#[test]
fn rust_args_env_hashmap_floats() {
    let inv = Invocation::new()
        .args(&["arg1", "ünïcödé"])
        .grant("--argv0", "rust_program")
        .grant("--env", "GREETING=grüße")
        .grant("--env", "FROMHOST")
        .host_env("FROMHOST", "host value");
    let out = assert_same_as_wasmtime(&rust_program(), &inv);
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(r#"args: ["rust_program", "arg1", "ünïcödé"]"#),
        "{stdout}"
    );
    assert!(stdout.contains(r#"GREETING is Some("grüße")"#), "{stdout}");
    assert!(stdout.ends_with("done\n"), "{stdout}");
}

#[test]
fn rust_program_exit_5() {
    let inv = Invocation::new()
        .args(&["exit5"])
        .grant("--argv0", "rust_program");
    let out = assert_same_as_wasmtime(&rust_program(), &inv);
    assert_eq!(out.status, 5);
    assert!(!text(&out.stdout).contains("done"));
}

#[test]
fn rust_panic_is_a_trap_with_status_134() {
    // Rust aborts on panic with `unreachable`: a trap. wasmtime's trap report differs from
    // Kiln's in its wording, so compare the status, stdout and the program's own message.
    let inv = Invocation::new()
        .args(&["panic"])
        .grant("--argv0", "rust_program");
    let (native, oracle) = run_both(&rust_program(), &inv);
    assert_eq!(oracle.status, 134);
    assert_eq!(native.status, 134, "stderr:\n{}", text(&native.stderr));
    assert_eq!(native.stdout, oracle.stdout);
    let stderr = text(&native.stderr);
    assert!(stderr.contains("asked to panic"), "{stderr}");
    assert!(stderr.contains("wasm trap: "), "{stderr}");
}

#[test]
fn kiln_run_exits_with_the_program_status() {
    let wasm = c_program("exit_return");
    let (code, stderr) = kiln([
        "run".as_ref(),
        wasm.as_os_str(),
        "--".as_ref(),
        "ignored-arg".as_ref(),
    ]);
    assert_eq!(code, 7, "{stderr}");
}

#[test]
fn emit_obj_writes_a_relocatable_elf_object() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hello.o");
    let wasm = c_program("hello");
    let (code, stderr) = kiln([
        "compile".as_ref(),
        wasm.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
        "--emit".as_ref(),
        "obj".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([bytes[16], bytes[17]]), 1, "ET_REL");
}

#[test]
fn preopened_dir_read_write_list_and_no_way_out() {
    let inv = Invocation {
        prepare: Some(sandbox_tree),
        ..Invocation::new().grant("--dir", "data::/data")
    };
    let out = assert_same_as_wasmtime(&c_program("files"), &inv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0);
    assert!(stdout.contains("preopen fd 3: /data\n"), "{stdout}");
    assert!(
        stdout.contains("open /data/input.txt: ok, 15 bytes"),
        "{stdout}"
    );
    assert!(!stdout.contains("secret\n"), "{stdout}");
}

#[test]
fn rust_std_fs_in_a_preopen() {
    let inv = Invocation {
        prepare: Some(sandbox_tree),
        ..Invocation::new()
            .args(&["fs"])
            .grant("--argv0", "rust_program")
            .grant("--dir", "data::/data")
    };
    let out = assert_same_as_wasmtime(&rust_program(), &inv);
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0, "{stdout}");
    assert!(
        stdout.contains("read input: ok input contents\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("after seek: \"beta\\ngamma\\n\""),
        "{stdout}"
    );
    assert!(stdout.contains("hard link: ok"), "{stdout}");
    assert!(stdout.contains("escape: error"), "{stdout}");
    assert!(!stdout.contains("secret"), "{stdout}");
}

#[test]
fn run_time_grants_only_when_allowed_at_compile_time() {
    use kiln_testsuite::programs::{kiln_compile, run_clean};
    let dir = tempfile::tempdir().unwrap();
    let wasm = c_program("hello");
    let launcher_env = [
        (
            "KILN_ENV".to_string(),
            "GREETING=from the launcher".to_string(),
        ),
        ("KILN_ENV_1".to_string(), "FROMHOST".to_string()),
        ("FROMHOST".to_string(), "host value".to_string()),
    ];

    let allowed = dir.path().join("allowed");
    std::fs::create_dir(&allowed).unwrap();
    let exe = kiln_compile(&wasm, &allowed, &["--allow-runtime-grants".to_string()]);
    let out = run_clean(&exe, &[] as &[&str], &launcher_env, dir.path());
    let stdout = text(&out.stdout);
    assert_eq!(out.status, 0);
    assert!(
        stdout.contains("env GREETING=from the launcher\n"),
        "{stdout}"
    );
    assert!(stdout.contains("env FROMHOST=host value\n"), "{stdout}");

    // The default, and the old spelling of it: the launcher's grants are ignored.
    for flags in [&[][..], &["--no-runtime-grants".to_string()][..]] {
        let refused = dir.path().join(format!("refused{}", flags.len()));
        std::fs::create_dir(&refused).unwrap();
        let exe = kiln_compile(&wasm, &refused, flags);
        let out = run_clean(&exe, &[] as &[&str], &launcher_env, dir.path());
        let stdout = text(&out.stdout);
        assert_eq!(out.status, 0);
        assert!(stdout.contains("env GREETING=(unset)\n"), "{stdout}");
        assert!(stdout.contains("env FROMHOST=(unset)\n"), "{stdout}");
    }
}

#[test]
fn deep_recursion_traps_with_call_stack_exhausted() {
    use kiln_testsuite::programs::{kiln_compile, run_clean};
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("recurse.wat");
    std::fs::write(
        &wat,
        r#"(module
  (memory (export "memory") 1)
  (func $down (param i64) (result i64)
    (i64.add (call $down (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
  (func (export "_start") (drop (call $down (i64.const 0)))))"#,
    )
    .unwrap();
    let exe = kiln_compile(
        &wat,
        dir.path(),
        &["--max-wasm-stack".into(), "262144".into()],
    );
    let out = run_clean(&exe, &[] as &[&str], &[], dir.path());
    let stderr = text(&out.stderr);
    assert_eq!(out.status, 134, "{stderr}");
    assert!(
        stderr.starts_with("wasm trap: call stack exhausted"),
        "{stderr}"
    );
    assert!(
        stderr.contains("down"),
        "the backtrace names the function:\n{stderr}"
    );
}

/// Typed function references (`call_ref` through a typed table with an initialiser,
/// `br_on_null`, `br_on_non_null`, `ref.as_non_null`, typed globals and locals) and
/// extended constant expressions (a global, a data and an element offset), hand-written.
#[test]
fn typed_function_references_and_extended_constants() {
    let wat = kiln_testsuite::programs::repo_root().join("testsuite/programs/wat/typed_refs.wat");
    let inv = Invocation::new().grant_each(&[], &["-W", "function-references=y,extended-const=y"]);
    let out = assert_same_as_wasmtime(&wat, &inv);
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("result 0: 47\n"), "{stdout}");
    assert!(stdout.ends_with("result 9: 999999999\n"), "{stdout}");
}

fn exceptions_program(name: &str) -> std::path::PathBuf {
    kiln_testsuite::programs::repo_root()
        .join("testsuite/programs/exceptions")
        .join(format!("{name}.wat"))
}

/// Exceptions (`try_table`, `throw`, `throw_ref`, exnref) thrown across a thousand frames
/// and caught by tag, rethrown by catch-all levels, ten thousand times in a loop, and
/// kept in a global past their handler: the same output as `wasmtime run -W exceptions=y`.
#[test]
fn exceptions_across_many_frames_match_wasmtime() {
    let inv = Invocation::new().grant_each(&[], &["-W", "exceptions=y"]);
    let out = assert_same_as_wasmtime(&exceptions_program("exnref_unwind"), &inv);
    assert_eq!(out.status, 0);
    assert!(text(&out.stdout).contains("small 42 passes 10 \n"));
}

/// The same program in the legacy encoding (`try`/`catch`/`catch_all`/`rethrow`/
/// `delegate`), which wasmtime cannot run, with `delegate` skipping handlers both to the
/// caller and to an outer `try`. The expected output follows from the legacy proposal:
/// - a $small (or $pair) thrown 1000 frames down passes the ten `catch_all` levels
///   (depth 50, 150, ..., 950: `passes 10`), the delegating levels never let their
///   `catch_all` see it (`swallowed 0`), and the ten levels 75, 175, ... that delegate to
///   a `try` catching $small see $small only (`delegated 10`, then 0 for $pair);
/// - $empty is caught at depth 10, the first level that catches it (1000, plus one for
///   each of the 990 levels above: 1990), below every counting level;
/// - nothing thrown: the depth, 1000;
/// - 10000 throws of $small 42 caught 20 frames up: 420000.
#[test]
fn legacy_exceptions_across_many_frames() {
    use kiln_testsuite::programs::{kiln_compile, run_clean};
    let dir = tempfile::tempdir().unwrap();
    let exe = kiln_compile(&exceptions_program("legacy_unwind"), dir.path(), &[]);
    let out = run_clean(&exe, &[] as &[&str], &[], dir.path());
    assert_eq!(out.status, 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "small 42 passes 10 delegated 10 swallowed 0 \n\
         pair 1234567890123 7 passes 10 delegated 0 swallowed 0 \n\
         returned 1990 passes 0 delegated 0 swallowed 0 \n\
         returned 1000 passes 0 delegated 0 swallowed 0 \n\
         loop 420000 \n"
    );
}

/// Throws from a callee with stack arguments, caught a hundred thousand times.
#[test]
fn exceptions_from_callees_with_stack_arguments_match_wasmtime() {
    let inv = Invocation::new().grant_each(&[], &["-W", "exceptions=y"]);
    let out = assert_same_as_wasmtime(&exceptions_program("stack_args"), &inv);
    assert_eq!(out.status, 94);
}

/// How many of the threads proposal's atomic instructions `wasm` contains.
fn count_atomics(wasm: &std::path::Path) -> usize {
    let bytes = std::fs::read(wasm).unwrap();
    let mut n = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            let mut ops = body.get_operators_reader().unwrap();
            while !ops.eof() {
                let name = format!("{:?}", ops.read().unwrap());
                n += usize::from(name.contains("Atomic"));
            }
        }
    }
    n
}

/// Every atomic instruction at every width, on an unshared 32-bit memory, a shared one and
/// a 64-bit one (`testsuite/programs/wasi/wat/atomics.wat`).
#[test]
fn every_atomic_instruction_matches_wasmtime() {
    let wat = kiln_testsuite::programs::repo_root().join("testsuite/programs/wasi/wat/atomics.wat");
    let inv = Invocation::new().grant_each(
        &[],
        &["-W", "threads=y,shared-memory=y,memory64=y,multi-memory=y"],
    );
    let out = assert_same_as_wasmtime(&wat, &inv);
    assert_eq!(out.status, 0);
    // Per memory: 7 loads and 7 stores print one line each, 42 read-modify-writes and
    // 2 * 7 compare-exchanges two (the old value, then the word).
    assert_eq!(
        text(&out.stdout).lines().count(),
        3 * (7 + 7 + 2 * 42 + 2 * 2 * 7)
    );
}

/// C11 `<stdatomic.h>` and the `__atomic`/`__sync` builtins built with `-matomics
/// -mbulk-memory`: atomic instructions on an unshared memory, as threads-capable
/// toolchains emit them.
#[test]
fn c11_atomics_match_wasmtime() {
    let wasm = c_program_with("atomics", &["-matomics", "-mbulk-memory"]);
    let atomics = count_atomics(&wasm);
    assert!(atomics >= 40, "only {atomics} atomic instructions");
    let inv = Invocation::new().grant_each(&[], &["-W", "threads=y"]);
    let out = assert_same_as_wasmtime(&wasm, &inv);
    assert_eq!(out.status, 0);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("1 2 3 3 238 6 119 8 \n"), "{stdout}");
    assert!(stdout.contains("499500"), "{stdout}");
}

/// `memory.atomic.wait32/64` and `notify` in one thread, on shared 32- and 64-bit memories
/// and an unshared one: not-equal at once, timeouts (a 20 ms one timed by the monotonic
/// clock), and notifies that wake nobody.
#[test]
fn wait_and_notify_in_one_thread_match_wasmtime() {
    let wat =
        kiln_testsuite::programs::repo_root().join("testsuite/programs/wasi/wat/wait_notify.wat");
    let inv = Invocation::new().grant_each(
        &[],
        &["-W", "threads=y,shared-memory=y,memory64=y,multi-memory=y"],
    );
    let out = assert_same_as_wasmtime(&wat, &inv);
    assert_eq!(out.status, 0);
    // Every 20 ms wait lasted 20 ms (the 1s after each 2).
    assert_eq!(text(&out.stdout), "0 0 0 0 \n1 1 2 2 \n2 2 2 1 2 1 \n");
}
