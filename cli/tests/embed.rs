//! The embedding API end to end: `kiln::load` compiles a WASI command into this process and
//! `kiln_runtime::Wasi` runs it with Node's options (args, env, preopens, returnOnExit,
//! stdio as files or buffers). The expected outputs are what the WASI calls the modules
//! make must produce, not anything Kiln printed.

use std::process::Command;

use kiln_runtime::{Input, Output, StartError, Wasi, WasiOptions};

/// A command that copies its args (one per line), its environment (one per line), stdin,
/// and the names of the files in the preopened directory fd 3 (`fd_readdir`'s raw
/// entries' names) to stdout, then calls `proc_exit(status)` when `status` >= 0.
fn echo_module(status: i32) -> String {
    let exit = if status >= 0 {
        format!("(call $proc_exit (i32.const {status}))")
    } else {
        String::new()
    };
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)
  (data (i32.const 60000) "hello.txt")
  ;; Writes the NUL-terminated strings whose pointers are at [ptrs, ptrs + 4 * n) as lines.
  (func $lines (param $ptrs i32) (param $n i32) (local $s i32) (local $e i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $s (i32.load (local.get $ptrs)))
      (local.set $e (local.get $s))
      (block $end (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (local.get $e))))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $scan)))
      (i32.store8 (local.get $e) (i32.const 10))
      (call $write (i32.const 1) (local.get $s) (i32.sub (i32.add (local.get $e) (i32.const 1)) (local.get $s)))
      (local.set $ptrs (i32.add (local.get $ptrs) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next))))
  (func $write (param $fd i32) (param $p i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  ;; Copies fd $from to stdout until end of file.
  (func $copy (param $from i32)
    (block $eof (loop $more
      (i32.store (i32.const 0) (i32.const 40000))
      (i32.store (i32.const 4) (i32.const 1000))
      (br_if $eof (call $fd_read (local.get $from) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br_if $eof (i32.eqz (i32.load (i32.const 8))))
      (call $write (i32.const 1) (i32.const 40000) (i32.load (i32.const 8)))
      (br $more))))
  (func (export "_start")
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $lines (i32.const 1024) (i32.load (i32.const 16)))
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $environ_get (i32.const 2048) (i32.const 8192)))
    (call $lines (i32.const 2048) (i32.load (i32.const 16)))
    (call $copy (i32.const 0))
    ;; hello.txt in the preopen (fd 3), read-only, copied to stdout.
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 60000) (i32.const 9)
                   (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 24)))
      (then (call $copy (i32.load (i32.const 24)))))
    {exit}))"#
    )
}

fn load(wat: &str) -> kiln_runtime::Module {
    kiln::load(wat.as_bytes(), &kiln::Options::default()).expect("compiles and loads")
}

/// `options` returning on exit, with stdout captured and (unless given) an empty stdin:
/// the test's own stdin is not the guest's.
fn captured(options: WasiOptions) -> WasiOptions {
    let stdin = match options.stdin {
        Input::Inherit => Input::Bytes(Vec::new()),
        given => given,
    };
    WasiOptions {
        return_on_exit: true,
        stdout: Output::Capture,
        stdin,
        ..options
    }
}

#[test]
fn return_on_exit_returns_the_status_and_the_process_survives() {
    let module = load(&echo_module(42));
    let mut wasi = Wasi::new(captured(WasiOptions::default())).unwrap();
    assert_eq!(wasi.start(&module).unwrap(), 42);
    // Returning from `_start` is status 0.
    let mut wasi = Wasi::new(captured(WasiOptions::default())).unwrap();
    assert_eq!(wasi.start(&load(&echo_module(-1))).unwrap(), 0);
}

#[test]
fn a_second_start_is_refused() {
    let module = load(&echo_module(0));
    let mut wasi = Wasi::new(captured(WasiOptions::default())).unwrap();
    assert_eq!(wasi.start(&module).unwrap(), 0);
    assert!(matches!(
        wasi.start(&module),
        Err(StartError::AlreadyStarted)
    ));
    // Even with another module.
    assert!(matches!(
        wasi.start(&load(&echo_module(1))),
        Err(StartError::AlreadyStarted)
    ));
}

#[test]
fn args_env_stdin_and_preopens_reach_the_guest_and_stdout_is_captured() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "from the preopen\n").unwrap();
    let mut wasi = Wasi::new(captured(WasiOptions {
        args: vec!["app".into(), "one two".into()],
        env: vec![("A".into(), "1".into()), ("B".into(), "x=y".into())],
        preopens: vec![("/sandbox".into(), dir.path().to_owned())],
        stdin: Input::Bytes(b"typed in\n".to_vec()),
        ..WasiOptions::default()
    }))
    .unwrap();
    assert_eq!(wasi.start(&load(&echo_module(3))).unwrap(), 3);
    let out = String::from_utf8(wasi.stdout().unwrap().unwrap()).unwrap();
    assert_eq!(
        out,
        "app\none two\nA=1\nB=x=y\ntyped in\nfrom the preopen\n"
    );
    assert_eq!(wasi.stderr().unwrap(), None, "stderr was not captured");
}

#[test]
fn nothing_is_granted_by_default() {
    // No preopen: `path_open` on fd 3 fails, so the file is not read; no args, no env.
    let mut wasi = Wasi::new(captured(WasiOptions {
        stdin: Input::Bytes(Vec::new()),
        ..WasiOptions::default()
    }))
    .unwrap();
    assert_eq!(wasi.start(&load(&echo_module(0))).unwrap(), 0);
    assert_eq!(wasi.stdout().unwrap().unwrap(), b"");
}

#[test]
fn stdio_can_be_host_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::write(&input, "file input\n").unwrap();
    let out = dir.path().join("out");
    let mut wasi = Wasi::new(WasiOptions {
        return_on_exit: true,
        stdin: Input::File(std::fs::File::open(&input).unwrap()),
        stdout: Output::File(std::fs::File::create(&out).unwrap()),
        ..WasiOptions::default()
    })
    .unwrap();
    assert_eq!(wasi.start(&load(&echo_module(0))).unwrap(), 0);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "file input\n");
}

#[test]
fn a_trap_is_an_error_with_the_report_and_output_so_far_stays_readable() {
    let wat = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "before\n")
      (func (export "_start")
        (i32.store (i32.const 0) (i32.const 100))
        (i32.store (i32.const 4) (i32.const 7))
        (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
        unreachable))"#;
    let mut wasi = Wasi::new(captured(WasiOptions::default())).unwrap();
    match wasi.start(&load(wat)) {
        Err(StartError::Trap {
            trap: Some(_),
            message,
        }) => {
            assert!(message.contains("unreachable"), "{message}")
        }
        other => panic!("expected a trap, got {other:?}"),
    }
    assert_eq!(wasi.stdout().unwrap().unwrap(), b"before\n");
}

#[test]
fn a_module_that_is_not_a_command_is_refused() {
    // `kiln::load` compiles commands only; a library module (as the spec harness compiles
    // them) without a `memory` export reaches `start`, which refuses it as Node does.
    let mut options = kiln::Options::default();
    options.compile.kind = kiln_compiler::ModuleKind::Library;
    let wat = r#"(module (func (export "_start")))"#;
    let module = kiln::load(wat.as_bytes(), &options).unwrap();
    let mut wasi = Wasi::new(captured(WasiOptions::default())).unwrap();
    match wasi.start(&module) {
        Err(StartError::NotACommand(m)) => assert!(m.contains("memory"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A reactor is refused by the compiler already.
    let reactor = r#"(module (memory (export "memory") 1)
                     (func (export "_start")) (func (export "_initialize")))"#;
    assert!(matches!(
        kiln::load(reactor.as_bytes(), &kiln::Options::default()),
        Err(kiln::BuildError::Compile(_))
    ));
}

#[test]
fn a_missing_preopen_is_an_error_at_construction() {
    let err = Wasi::new(WasiOptions {
        preopens: vec![("/x".into(), "/no/such/directory/anywhere".into())],
        ..WasiOptions::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("/no/such/directory"), "{err}");
}

/// Without `return_on_exit`, `proc_exit` ends the process with its status, as Node's
/// default does: checked in a child (this test binary, running only the test below).
#[test]
fn without_return_on_exit_proc_exit_ends_the_process() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "exits_the_process", "--ignored", "--nocapture"])
        .env("KILN_EMBED_EXIT_CHILD", "1")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(9),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
#[ignore = "run as a child process by without_return_on_exit_proc_exit_ends_the_process"]
fn exits_the_process() {
    if std::env::var_os("KILN_EMBED_EXIT_CHILD").is_none() {
        return;
    }
    let mut wasi = Wasi::new(WasiOptions {
        stdin: Input::Bytes(Vec::new()),
        ..WasiOptions::default()
    })
    .unwrap();
    let _ = wasi.start(&load(&echo_module(9)));
    unreachable!("proc_exit(9) ended the process");
}

#[test]
fn load_refuses_another_architecture() {
    let mut options = kiln::Options::default();
    options.compile.target =
        kiln_compiler::Target::with_default_cpu("aarch64-unknown-linux-gnu").unwrap();
    let wat = r#"(module (memory (export "memory") 1) (func (export "_start")))"#;
    match kiln::load(wat.as_bytes(), &options) {
        Err(kiln::BuildError::Load(m)) => assert!(m.contains("aarch64"), "{m}"),
        other => panic!("expected a load error, got {:?}", other.map(|_| ())),
    }
}
