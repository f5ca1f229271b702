//! `kiln compile` on bad input: exit status 1, one clear message naming the file, and nothing
//! written at the output path (an existing file there is left untouched).

use std::path::{Path, PathBuf};

use kiln_testsuite::programs::{c_program, kiln};

struct Case {
    dir: tempfile::TempDir,
    input: PathBuf,
    output: PathBuf,
}

fn case(name: &str, bytes: &[u8]) -> Case {
    let dir = tempfile::Builder::new()
        .prefix("kiln-cli-")
        .tempdir()
        .unwrap();
    let input = dir.path().join(name);
    std::fs::write(&input, bytes).unwrap();
    let output = dir.path().join("out");
    Case { dir, input, output }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Compiles `c.input` with `extra` flags, expecting failure. Returns the message. Checks that no
/// output and no temporary file appear, then again with a pre-existing output that must survive.
fn expect_error(c: &Case, extra: &[&str]) -> String {
    let run = || {
        let mut args = vec![
            "compile".to_string(),
            c.input.to_string_lossy().into_owned(),
            "-o".into(),
            c.output.to_string_lossy().into_owned(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        kiln(args)
    };
    let before = entries(c.dir.path());
    let (code, stderr) = run();
    assert_eq!(code, 1, "expected exit status 1, stderr:\n{stderr}");
    let prefix = format!("kiln: error: {}: ", c.input.display());
    assert!(
        stderr.starts_with(&prefix),
        "message must start with {prefix:?}:\n{stderr}"
    );
    assert!(!c.output.exists(), "an output file was created");
    assert_eq!(entries(c.dir.path()), before, "files were left behind");

    std::fs::write(&c.output, b"previous contents").unwrap();
    let (code2, stderr2) = run();
    assert_eq!(code2, 1);
    assert_eq!(stderr2, stderr, "the same input must give the same message");
    assert_eq!(std::fs::read(&c.output).unwrap(), b"previous contents");
    std::fs::remove_file(&c.output).unwrap();
    stderr
}

#[test]
fn malformed_binary() {
    let c = case(
        "bad.wasm",
        b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0fgarbage",
    );
    let msg = expect_error(&c, &[]);
    assert!(
        msg.contains("offset"),
        "a binary error names the byte offset:\n{msg}"
    );
}

#[test]
fn not_wasm_at_all() {
    let c = case("notes.txt", b"this is not a WebAssembly module\n");
    expect_error(&c, &[]);
}

#[test]
fn invalid_text() {
    let c = case("broken.wat", b"(module (func (result i32) i32.add))");
    expect_error(&c, &[]);
}

#[test]
fn missing_input_file() {
    let c = case("present.wasm", b"");
    let missing = Case {
        input: c.dir.path().join("absent.wasm"),
        ..c
    };
    let msg = expect_error(&missing, &[]);
    assert!(msg.contains("cannot read"), "{msg}");
}

#[test]
fn missing_start() {
    let c = case(
        "nostart.wat",
        br#"(module (memory (export "memory") 1) (func (export "main")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("_start"), "{msg}");
}

#[test]
fn missing_memory() {
    let c = case("nomem.wat", br#"(module (func (export "_start")))"#);
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("memory"), "{msg}");
}

#[test]
fn memory_not_exported() {
    let c = case(
        "hiddenmem.wat",
        br#"(module (memory 1) (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("memory"), "{msg}");
}

#[test]
fn exported_memory_must_be_memory_0() {
    let c = case(
        "secondmem.wat",
        br#"(module (memory 1) (memory $b 1) (export "memory" (memory $b))
             (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(
        msg.contains("exports memory 1 as \"memory\"; WASI functions use memory 0"),
        "{msg}"
    );
}

/// A 64-bit memory whose maximum passes the 2^48 pages memory64 allows is invalid.
#[test]
fn memory64_maximum_past_2_pow_48_pages() {
    let c = case(
        "hostile_max.wat",
        br#"(module (memory (export "memory") 1) (memory i64 0 0x1_0000_0000_0001)
             (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("invalid module at byte offset 0x"), "{msg}");
    assert!(msg.contains("memory size must be at most"), "{msg}");
}

#[test]
fn reactor_is_refused() {
    let c = case(
        "reactor.wat",
        br#"(module (memory (export "memory") 1) (func (export "_initialize")) (func (export "f")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(
        msg.contains("_initialize") && msg.contains("reactor"),
        "{msg}"
    );
}

#[test]
fn reactor_with_start_is_refused() {
    let c = case(
        "reactor2.wat",
        br#"(module (memory (export "memory") 1) (func (export "_initialize")) (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("_initialize"), "{msg}");
}

const UNKNOWN_IMPORTS: &[u8] = br#"(module
  (import "env" "foo" (func (param i32 i64) (result f32)))
  (import "wasi_snapshot_preview1" "no_such_function" (func))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))"#;

#[test]
fn unknown_imports_are_listed_with_their_signatures() {
    let c = case("imports.wat", UNKNOWN_IMPORTS);
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("env.foo: (i32, i64) -> (f32)"), "{msg}");
    assert!(
        msg.contains("wasi_snapshot_preview1.no_such_function: () -> ()"),
        "{msg}"
    );
    assert!(
        !msg.contains("fd_write"),
        "fd_write is provided by the runtime:\n{msg}"
    );
    assert!(
        msg.contains("--unknown-imports"),
        "the message says what to do:\n{msg}"
    );
}

#[test]
fn wasi_import_with_the_wrong_signature() {
    let c = case(
        "badsig.wat",
        br#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("fd_write"), "{msg}");
}

/// Snapshot 0's functions are provided with preview1's signatures, but for `sock_accept`,
/// which snapshot 0 does not have: named with its module like any unknown import.
#[test]
fn wasi_unstable_imports_are_checked_by_module() {
    let c = case(
        "unstable.wat",
        br#"(module
  (import "wasi_unstable" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_unstable" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (import "wasi_unstable" "fd_seek" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("the module imports 2 functions"), "{msg}");
    assert!(
        msg.contains("  wasi_unstable.sock_accept: (i32, i32, i32) -> (i32)\n"),
        "{msg}"
    );
    assert!(
        msg.contains("  wasi_unstable.fd_seek: (i32, i32, i32, i32) -> (i32)\n"),
        "{msg}"
    );
    assert!(!msg.contains("fd_write"), "{msg}");
    assert!(!msg.contains("preview1"), "{msg}");
}

#[test]
fn unknown_imports_trap_mode_compiles() {
    let c = case("imports.wat", UNKNOWN_IMPORTS);
    let (code, stderr) = kiln([
        "compile".as_ref(),
        c.input.as_os_str(),
        "-o".as_ref(),
        c.output.as_os_str(),
        "--unknown-imports=trap".as_ref(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(c.output.is_file());
}

#[test]
fn link_failure_leaves_nothing_behind() {
    let wasm = c_program("exit_return");
    let c = case("unused.wat", b"");
    let c = Case { input: wasm, ..c };
    let run = || {
        kiln([
            "compile".as_ref(),
            c.input.as_os_str(),
            "-o".as_ref(),
            c.output.as_os_str(),
            "--linker".as_ref(),
            "false".as_ref(),
        ])
    };
    let before = entries(c.dir.path());
    let (code, stderr) = run();
    assert_eq!(code, 1, "{stderr}");
    let prefix = format!("kiln: error: {}: linking failed", c.output.display());
    assert!(stderr.starts_with(&prefix), "{stderr}");
    assert_eq!(entries(c.dir.path()), before);
    std::fs::write(&c.output, b"old").unwrap();
    assert_eq!(run().0, 1);
    assert_eq!(std::fs::read(&c.output).unwrap(), b"old");
}

#[test]
fn usage_errors_exit_2() {
    let (code, stderr) = kiln(["compile", "x.wasm"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--output"), "{stderr}");
    let (code, _) = kiln(["compile", "x.wasm", "-o", "y", "-O", "3"]);
    assert_eq!(code, 2);
    let (code, _) = kiln(["compile", "x.wasm", "-o", "y", "--env", "=v"]);
    assert_eq!(code, 2);
}

#[test]
fn missing_output_directory() {
    let c = case(
        "ok.wat",
        br#"(module (memory (export "memory") 1) (func (export "_start")))"#,
    );
    let out = c.dir.path().join("no/such/dir/app");
    let (code, stderr) = kiln([
        "compile".as_ref(),
        c.input.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, 1);
    let expected = format!(
        "kiln: error: {}: directory {} does not exist\n",
        out.display(),
        out.parent().unwrap().display()
    );
    assert_eq!(stderr, expected);
}

#[test]
fn invalid_module_names_offset_and_reason() {
    // Well-formed text, but the body leaves an i64 where the function returns nothing.
    let c = case(
        "typo.wat",
        br#"(module (memory (export "memory") 1) (func (export "_start") i64.const 0))"#,
    );
    let msg = expect_error(&c, &[]);
    assert!(msg.contains("invalid module at byte offset 0x"), "{msg}");
    assert!(
        msg.contains("type mismatch"),
        "the validator's reason:\n{msg}"
    );
    assert_eq!(msg.lines().count(), 1, "one message:\n{msg}");
}

/// Each unsupported feature is named, with the byte offset of its first use.
#[test]
fn unsupported_features_are_named() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "wide.wat",
            r#"(module (memory (export "memory") 1)
                 (func (export "_start")
                   (i64.add128 (i64.const 0) (i64.const 0) (i64.const 0) (i64.const 0))
                   drop
                   drop))"#,
            "wide-arithmetic",
        ),
        (
            "gc.wat",
            r#"(module (type $s (struct (field i32))) (memory (export "memory") 1)
                 (func (export "_start") (drop (struct.new $s (i32.const 1)))))"#,
            "gc",
        ),
        // With typed function references on, GC's heap types and instructions still are
        // refused as GC.
        (
            "anyref.wat",
            r#"(module (memory (export "memory") 1) (func $f (param anyref))
                 (func (export "_start")))"#,
            "gc",
        ),
        (
            "i31.wat",
            r#"(module (memory (export "memory") 1)
                 (func (export "_start") (drop (ref.i31 (i32.const 1)))))"#,
            "gc",
        ),
    ];
    for (name, text, feature) in cases {
        let c = case(name, text.as_bytes());
        let msg = expect_error(&c, &[]);
        assert!(msg.contains("unsupported"), "{name}:\n{msg}");
        assert!(msg.contains(feature), "{name} must name {feature}:\n{msg}");
        assert!(
            msg.contains("first used at byte offset 0x"),
            "{name} must say where:\n{msg}"
        );
    }
}
