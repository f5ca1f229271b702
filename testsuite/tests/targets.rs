//! Kiln's other targets, from this x86-64 machine: `x86_64-unknown-linux-gnu` run natively
//! (the default target, musl, is what every other test runs),
//! `aarch64-unknown-linux-gnu` and `-musl` under `qemu-aarch64`. Each program's outcome
//! (status, stdout, stderr, files) is compared with `wasmtime run` of the same module on
//! x86-64, traps included; the executables themselves are checked for what each target
//! promises (static, no interpreter, the target's ELF machine).

use std::path::Path;

use kiln_testsuite::programs::{
    assert_same_as_wasmtime, c_program, c_program_with, kiln, run_both, rust_program,
    rust_threads_program, sandbox_tree, wat_program, Invocation,
};
use kiln_testsuite::real::{self, Run, SCRATCH};
use kiln_testsuite::targets::OTHER_TARGETS;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn c_programs_match_wasmtime_on_every_target() {
    let hello = Invocation::new()
        .args(&["one", "two words", "", "--flag=x"])
        .grant("--argv0", "hello")
        .grant("--env", "GREETING=hi there")
        .host_env("NOT_GRANTED", "secret");
    let files = Invocation {
        prepare: Some(sandbox_tree),
        ..Invocation::new().grant("--dir", "data::/data")
    };
    // The sandboxed file system too: under qemu-aarch64 (qemu-user 7.2 has no `openat2`)
    // through the runtime's own confined walk (`runtime/src/wasi/beneath.rs`).
    let programs = [
        (c_program("files"), files),
        (c_program("hello"), hello),
        (c_program("exit_proc"), Invocation::new()),
        (c_program("big_array"), Invocation::new()),
        (c_program("floats"), Invocation::new()),
        (c_program_with("simd", &["-msimd128"]), Invocation::new()),
        (
            c_program_with("relaxed_simd", &["-mrelaxed-simd"]),
            Invocation::new(),
        ),
    ];
    for target in OTHER_TARGETS {
        for (wasm, inv) in &programs {
            assert_same_as_wasmtime(wasm, &inv.clone().target(target));
        }
    }
}

#[test]
fn rust_programs_match_wasmtime_on_aarch64() {
    for target in ["aarch64-unknown-linux-musl", "aarch64-unknown-linux-gnu"] {
        for args in [&["simd"][..], &["arg1", "ünïcödé"][..]] {
            let inv = Invocation::new()
                .args(args)
                .grant("--argv0", "rust_program")
                .target(target);
            assert_same_as_wasmtime(&rust_program(), &inv);
        }
        // A Rust panic: a trap after the panic message, exit status 134 on both sides.
        let inv = Invocation::new()
            .args(&["panic"])
            .grant("--argv0", "rust_program")
            .target(target);
        let (native, oracle) = run_both(&rust_program(), &inv);
        assert_eq!(native.status, 134, "{target}: {}", text(&native.stderr));
        assert_eq!(native.status, oracle.status, "{target}");
        assert_eq!(native.stdout, oracle.stdout, "{target}");
    }
}

/// A trap on AArch64: the report's reason, its frames (names and wasm offsets) and the exit
/// status are wasmtime's, as on x86-64.
#[test]
fn traps_on_aarch64_report_like_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "oob",
            r#"(module
  (memory (export "memory") 1)
  (func $load_past_end (result i32) (i32.load (i32.const 65536)))
  (func $caller (result i32) (call $load_past_end))
  (func (export "_start") (drop (call $caller))))"#,
            "out of bounds memory access",
        ),
        (
            "div",
            r#"(module
  (memory (export "memory") 1)
  (func $divide (param i32) (result i32) (i32.div_u (i32.const 7) (local.get 0)))
  (func (export "_start") (drop (call $divide (i32.const 0)))))"#,
            "integer divide by zero",
        ),
        (
            "unreachable",
            r#"(module
  (memory (export "memory") 1)
  (func $boom unreachable)
  (func (export "_start") (call $boom)))"#,
            "wasm `unreachable` instruction executed",
        ),
        (
            "indirect",
            r#"(module
  (memory (export "memory") 1)
  (table 2 funcref)
  (func $dispatch (call_indirect (i32.const 1)))
  (func (export "_start") (call $dispatch)))"#,
            "uninitialized element",
        ),
        (
            "recurse",
            r#"(module
  (memory (export "memory") 1)
  (func $down (param i64) (result i64)
    (i64.add (call $down (i64.add (local.get 0) (i64.const 1))) (local.get 0)))
  (func (export "_start") (drop (call $down (i64.const 0)))))"#,
            "call stack exhausted",
        ),
    ];
    for (name, wat, reason) in cases {
        let path = dir.path().join(format!("{name}.wat"));
        std::fs::write(&path, wat).unwrap();
        for target in ["aarch64-unknown-linux-musl", "aarch64-unknown-linux-gnu"] {
            let (native, oracle) = run_both(&path, &Invocation::new().target(target));
            let stderr = text(&native.stderr);
            assert_eq!(native.status, 134, "{name} on {target}:\n{stderr}");
            assert_eq!(native.status, oracle.status, "{name} on {target}");
            assert!(
                stderr.starts_with(&format!("wasm trap: {reason}\n")),
                "{name} on {target}:\n{stderr}"
            );
            assert_frames_in_wasmtime(
                &stderr,
                &text(&oracle.stderr),
                &format!("{name} on {target}"),
            );
        }
    }
}

/// Every frame kiln reports (`N: 0xOFFSET - module!function`) is in wasmtime's backtrace,
/// in the same order (wasmtime's has more lines around them).
fn assert_frames_in_wasmtime(stderr: &str, oracle: &str, what: &str) {
    let frames: Vec<&str> = stderr
        .lines()
        .skip_while(|l| *l != "wasm backtrace:")
        .skip(1)
        .filter(|l| !l.trim_start().starts_with("at "))
        .collect();
    assert!(!frames.is_empty(), "{what}: no frames\n{stderr}");
    let mut rest = oracle;
    for frame in frames.iter().take(3) {
        // Compared from the offset on (the two indent the index differently).
        let frame = frame
            .split_once(": ")
            .map_or(*frame, |(_, f)| f.trim_start());
        let pos = rest
            .find(frame)
            .unwrap_or_else(|| panic!("{what}: `{frame}` not in wasmtime's\n{oracle}"));
        rest = &rest[pos + frame.len()..];
    }
}

/// `--unknown-imports=trap` on AArch64: the stub bound to the import (reached directly and
/// through a table) reports the call like wasmtime's `-Wunknown-imports-trap=y`.
#[test]
fn unknown_imports_trap_on_aarch64() {
    let reason = "call to an import Kiln does not provide (compiled with --unknown-imports=trap)";
    let traps = kiln_testsuite::programs::repo_root().join("testsuite/programs/traps");
    for name in ["unknown_import", "unknown_import_table"] {
        let wat = traps.join(format!("{name}.wat"));
        let inv = Invocation::new()
            .grant_each(&["--unknown-imports=trap"], &["-Wunknown-imports-trap=y"])
            .target("aarch64-unknown-linux-musl");
        let (native, oracle) = run_both(&wat, &inv);
        let stderr = text(&native.stderr);
        assert_eq!(native.status, 134, "{name}:\n{stderr}");
        assert_ne!(oracle.status, 0, "{name} under wasmtime");
        assert!(
            stderr.starts_with(&format!("wasm trap: {reason}\n")),
            "{name}:\n{stderr}"
        );
        assert_frames_in_wasmtime(&stderr, &text(&oracle.stderr), name);
    }
}

/// Exceptions on AArch64: thrown across a thousand frames, caught by tag and by catch-all
/// levels, rethrown, thrown ten thousand times in a loop, thrown from callees with stack
/// arguments; the same output as `wasmtime run -W exceptions=y` on x86-64. An uncaught one
/// is reported like a trap with wasmtime's frames (wasmtime exits 1 there, Kiln 134).
#[test]
fn exceptions_on_aarch64_match_wasmtime() {
    let root = kiln_testsuite::programs::repo_root().join("testsuite/programs");
    for target in ["aarch64-unknown-linux-musl", "aarch64-unknown-linux-gnu"] {
        let inv = Invocation::new()
            .grant_each(&[], &["-W", "exceptions=y"])
            .target(target);
        for (name, status) in [("exnref_unwind", 0), ("stack_args", 94)] {
            let wat = root.join(format!("exceptions/{name}.wat"));
            let out = assert_same_as_wasmtime(&wat, &inv);
            assert_eq!(out.status, status, "{name} on {target}");
        }
        let (native, oracle) = run_both(&root.join("traps/uncaught_exception.wat"), &inv);
        let stderr = text(&native.stderr);
        assert_eq!(native.status, 134, "uncaught on {target}:\n{stderr}");
        assert_eq!(oracle.status, 1, "wasmtime, uncaught");
        assert!(
            stderr.starts_with("wasm trap: thrown Wasm exception\n"),
            "uncaught on {target}:\n{stderr}"
        );
        assert_frames_in_wasmtime(&stderr, &text(&oracle.stderr), "uncaught exception");
    }
}

/// The AArch64 targets, both run under `qemu-aarch64`.
const AARCH64: [&str; 2] = ["aarch64-unknown-linux-musl", "aarch64-unknown-linux-gnu"];

/// The threads proposal's atomic instructions on AArch64 (`ldaxr`/`stlxr` loops or LSE
/// atomics, `dmb`): every instruction at every width on unshared, shared and 64-bit
/// memories, C11 atomics from clang, `wait`/`notify` in one thread; and the traps of
/// atomics (unaligned, in the guard region, past a 64-bit memory's length) with wasmtime's
/// frames.
#[test]
fn atomics_on_aarch64_match_wasmtime() {
    let root = kiln_testsuite::programs::repo_root().join("testsuite/programs");
    let all_features = ["-W", "threads=y,shared-memory=y,memory64=y,multi-memory=y"];
    for target in AARCH64 {
        let inv = Invocation::new()
            .grant_each(&[], &all_features)
            .target(target);
        for name in ["atomics", "wait_notify"] {
            let out = assert_same_as_wasmtime(&root.join(format!("wasi/wat/{name}.wat")), &inv);
            assert_eq!(out.status, 0, "{name} on {target}");
        }
        let c11 = c_program_with("atomics", &["-matomics", "-mbulk-memory"]);
        let out = assert_same_as_wasmtime(&c11, &inv);
        assert!(text(&out.stdout).contains("499500"), "{target}");
        for (name, reason) in [
            ("unaligned_atomic", "unaligned atomic"),
            ("atomic_oob", "out of bounds memory access"),
            ("atomic_oob_memory64", "out of bounds memory access"),
        ] {
            let (native, oracle) = run_both(&root.join(format!("traps/{name}.wat")), &inv);
            let stderr = text(&native.stderr);
            assert_eq!(native.status, 134, "{name} on {target}:\n{stderr}");
            assert_eq!(oracle.status, 134, "{name} under wasmtime");
            assert!(
                stderr.starts_with(&format!("wasm trap: {reason}\n")),
                "{name} on {target}:\n{stderr}"
            );
            assert_frames_in_wasmtime(&stderr, &text(&oracle.stderr), name);
        }
    }
}

/// wasi-threads on AArch64: the Rust `std::thread` program (spawn and join, `std::sync`
/// across threads, a parallel workload, `exit` in a thread) and the hand-written thread id
/// and `proc_exit` modules, byte for byte against wasmtime 46 `-S threads` on x86-64; a trap
/// in a spawned thread reported with wasmtime's frames.
#[test]
fn wasi_threads_on_aarch64_match_wasmtime() {
    for target in AARCH64 {
        for (mode, status) in [
            ("basics", 0),
            ("sync", 0),
            ("parallel", 0),
            ("exit-in-thread", 7),
        ] {
            let inv = Invocation::new().args(&[mode]).threads().target(target);
            let out = assert_same_as_wasmtime(&rust_threads_program(), &inv);
            assert_eq!(out.status, status, "{mode} on {target}");
        }
        let inv = Invocation::new().threads().target(target);
        let out = assert_same_as_wasmtime(&wat_program("threads_spawn"), &inv);
        assert_eq!(out.status, 112, "{target}");
        let out = assert_same_as_wasmtime(&wat_program("threads_exit"), &inv);
        assert_eq!(out.status, 42, "{target}");
        let (native, oracle) = run_both(&wat_program("threads_trap"), &inv);
        let stderr = text(&native.stderr);
        assert_eq!(native.status, 134, "{target}:\n{stderr}");
        assert_eq!(native.stdout, oracle.stdout, "{target}");
        assert!(
            stderr.starts_with("wasm trap: wasm `unreachable` instruction executed\n"),
            "{target}:\n{stderr}"
        );
        assert_eq!(
            stderr.matches("wasm trap:").count(),
            1,
            "{target}:\n{stderr}"
        );
        assert_frames_in_wasmtime(&stderr, &text(&oracle.stderr), "threads_trap");
    }
}

/// A real program on AArch64: Lua 5.4 running a script that uses strings, tables,
/// coroutines, errors and files in the preopened directory, and an uncaught error's
/// traceback; everything, files included, as `wasmtime run` on x86-64.
#[test]
fn lua_on_aarch64_matches_wasmtime() {
    let lua = kiln_testsuite::real::lua();
    for target in AARCH64 {
        let run = Run::new(&["/work/main.lua", SCRATCH])
            .repo_file("main.lua", "lua/main.lua")
            .repo_file("words.txt", "rust/inputs/text.md")
            .grant("--env", "LUA_TEST=from the grant");
        let out = real::assert_same_on(Some(target), &lua, "lua", &run);
        assert_eq!(out.outcome.status, 3, "{target}: {}", out.stderr());
        assert!(
            out.stdout().contains("coroutine\t1\t2\t3\tdone\n"),
            "{target}"
        );
        assert!(out.files.contains_key("squares.csv"), "{target}");
        let run = Run::new(&["-e", "print('before'); error('no field answer')"]);
        let out = real::assert_same_on(Some(target), &lua, "lua", &run);
        assert_eq!(out.outcome.status, 1, "{target}");
    }
}

/// The ELF header fields a target decides: (class 64, machine, has a PT_INTERP).
fn elf_facts(exe: &Path) -> (u16, bool) {
    let bytes = std::fs::read(exe).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF", "{}", exe.display());
    assert_eq!(bytes[4], 2, "ELFCLASS64");
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
    let u64_at = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
    let machine = u16_at(18);
    let phoff = usize::try_from(u64_at(32)).unwrap();
    let phentsize = usize::from(u16_at(54));
    let phnum = usize::from(u16_at(56));
    const PT_INTERP: u32 = 3;
    let interp = (0..phnum).any(|i| u32_at(phoff + i * phentsize) == PT_INTERP);
    (machine, interp)
}

#[test]
fn every_target_links_a_static_executable_of_its_machine() {
    const EM_X86_64: u16 = 62;
    const EM_AARCH64: u16 = 183;
    let dir = tempfile::tempdir().unwrap();
    let wasm = c_program("hello");
    for target in OTHER_TARGETS {
        let exe = dir.path().join(target);
        let (code, stderr) = kiln([
            "compile".as_ref(),
            wasm.as_os_str(),
            "--target".as_ref(),
            target.as_ref(),
            "-o".as_ref(),
            exe.as_os_str(),
        ]);
        assert_eq!(code, 0, "{target}: {stderr}");
        let (machine, interp) = elf_facts(&exe);
        let want = if target.starts_with("aarch64") {
            EM_AARCH64
        } else {
            EM_X86_64
        };
        assert_eq!(machine, want, "{target}: e_machine");
        assert!(!interp, "{target}: a static executable has no PT_INTERP");
    }
}

#[test]
fn aarch64_gnu_without_its_cross_compiler_says_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("app");
    let (code, stderr) = kiln([
        "compile".as_ref(),
        c_program("hello").as_os_str(),
        "--target".as_ref(),
        "aarch64-unknown-linux-gnu".as_ref(),
        "--linker".as_ref(),
        dir.path().join("aarch64-linux-gnu-gcc").as_os_str(),
        "-o".as_ref(),
        exe.as_os_str(),
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("gcc-aarch64-linux-gnu"), "{stderr}");
    assert!(
        stderr.contains("--target aarch64-unknown-linux-musl needs no cross toolchain"),
        "{stderr}"
    );
    assert!(!exe.exists());
}
