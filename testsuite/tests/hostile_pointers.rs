//! Guest pointers at the 4 GiB end of a full 32-bit memory, into every WASI function that
//! reads or writes guest structures (iovecs, prestat, subscriptions, events, args arrays,
//! readdir buffers, random buffers): each program is compiled by Kiln and run next to
//! `wasmtime run`, and both must end the same way (the WASI errno as exit status, or the
//! program ended by the runtime, status 1, Kiln saying why). Nothing may wrap to address 0.

use std::path::Path;

use kiln_testsuite::programs::{run_both, Invocation};

/// A command with a full 4 GiB memory whose `_start` runs `body` with the WASI functions
/// below in scope; `(call $exit (call ...))` makes an errno the exit status.
fn module(body: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $filestat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 65536)
  (func (export "_start") {body}))
"#
    )
}

/// `d/a` (one file), preopened as `/d` (fd 3), for the readdir cases.
fn one_file_dir(root: &Path) {
    std::fs::create_dir(root.join("d")).unwrap();
    std::fs::write(root.join("d/a"), "hi\n").unwrap();
}

/// (name, body): each case's `_start`. argv[0] is `app` on both sides (4 bytes with its NUL).
const CASES: &[(&str, &str)] = &[
    // An iovec that starts 4 bytes before the end: its length would be read from address 0.
    ("iovec_wraps", "(i32.store (i32.const 0) (i32.const 5)) (call $exit (call $fd_write (i32.const 1) (i32.const 0xfffffffc) (i32.const 1) (i32.const 16)))"),
    // The last 8 bytes hold an empty iovec; the next one wraps.
    ("second_iovec_wraps", "(call $exit (call $fd_write (i32.const 1) (i32.const 0xfffffff8) (i32.const 2) (i32.const 16)))"),
    // A non-empty first iovec is used; the wrapping second one is never reached.
    ("first_iovec_used", "(i32.store (i32.const 0xfffffff8) (i32.const 16)) (i32.store (i32.const 0xfffffffc) (i32.const 3)) (call $exit (call $fd_write (i32.const 1) (i32.const 0xfffffff8) (i32.const 2) (i32.const 16)))"),
    ("buffer_to_the_end", "(i32.store (i32.const 0) (i32.const 0xfffffffc)) (i32.store (i32.const 4) (i32.const 4)) (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))"),
    ("buffer_past_the_end", "(i32.store (i32.const 0) (i32.const 0xfffffffc)) (i32.store (i32.const 4) (i32.const 8)) (call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))"),
    ("nwritten_past_the_end", "(call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0xfffffffe)))"),
    ("iovec_count_huge", "(call $exit (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 16)))"),
    ("read_of_4_gib", "(i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 0xfffffff0)) (call $exit (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))"),
    ("prestat_to_the_end", "(call $exit (call $prestat (i32.const 3) (i32.const 0xfffffff8)))"),
    ("prestat_wraps", "(call $exit (call $prestat (i32.const 3) (i32.const 0xfffffffc)))"),
    ("fdstat_wraps", "(call $exit (call $fdstat (i32.const 1) (i32.const 0xfffffff0)))"),
    ("filestat_wraps", "(call $exit (call $filestat (i32.const 3) (i32.const 0xffffffe0)))"),
    ("clock_to_the_end", "(call $exit (call $clock (i32.const 0) (i64.const 1) (i32.const 0xfffffff8)))"),
    ("clock_wraps", "(call $exit (call $clock (i32.const 0) (i64.const 1) (i32.const 0xfffffffc)))"),
    // argv at the last word: the pointer past it is 4 GiB.
    ("argv_pointer_reaches_4_gib", "(call $exit (call $args_get (i32.const 0xfffffffc) (i32.const 0x100)))"),
    ("argv_fits", "(call $exit (call $args_get (i32.const 0xfffffff8) (i32.const 0x100)))"),
    ("argv_buffer_reaches_4_gib", "(call $exit (call $args_get (i32.const 0x100) (i32.const 0xfffffffc)))"),
    ("argv_buffer_fits", "(call $exit (call $args_get (i32.const 0x100) (i32.const 0xfffffffb)))"),
    ("argv_buffer_past_the_end", "(call $exit (call $args_get (i32.const 0x100) (i32.const 0xfffffffe)))"),
    ("empty_environ_at_the_end", "(call $exit (call $environ_get (i32.const 0xfffffffc) (i32.const 0xffffffff)))"),
    ("subscriptions_wrap", "(call $exit (call $poll (i32.const 0xffffffd0) (i32.const 0x100) (i32.const 2) (i32.const 16)))"),
    ("subscription_to_the_end", "(call $exit (call $poll (i32.const 0xffffffd0) (i32.const 0x100) (i32.const 1) (i32.const 16)))"),
    ("subscriptions_huge", "(call $exit (call $poll (i32.const 0x100) (i32.const 0x100) (i32.const 0x7fffffff) (i32.const 16)))"),
    ("event_to_the_end", "(i64.store (i32.const 0x100) (i64.const 1)) (call $exit (call $poll (i32.const 0x100) (i32.const 0xffffffe0) (i32.const 1) (i32.const 16)))"),
    ("second_event_wraps", "(i64.store (i32.const 0x100) (i64.const 1)) (i64.store (i32.const 0x130) (i64.const 1)) (call $exit (call $poll (i32.const 0x100) (i32.const 0xffffffe0) (i32.const 2) (i32.const 16)))"),
    // `d` lists `.`, `..` and `a`: 76 bytes of dirents.
    ("readdir_fills_to_the_end", "(call $exit (call $readdir (i32.const 3) (i32.const 0xffffffb4) (i32.const 76) (i64.const 0) (i32.const 16)))"),
    ("readdir_truncated_at_the_end", "(call $exit (call $readdir (i32.const 3) (i32.const 0xffffffc4) (i32.const 60) (i64.const 0) (i32.const 16)))"),
    ("readdir_ends_before_the_end", "(call $exit (call $readdir (i32.const 3) (i32.const 0xffffffb3) (i32.const 77) (i64.const 0) (i32.const 16)))"),
    ("random_to_the_end", "(call $exit (call $random_get (i32.const 0xfffffff0) (i32.const 16)))"),
    ("random_before_the_end", "(call $exit (call $random_get (i32.const 0xffffffef) (i32.const 16)))"),
    ("random_64_mib", "(call $exit (call $random_get (i32.const 0) (i32.const 0x4000000)))"),
    ("random_past_64_mib", "(call $exit (call $random_get (i32.const 0) (i32.const 0x4000001)))"),
    ("random_4_gib", "(call $exit (call $random_get (i32.const 0) (i32.const 0xffffffff)))"),
];

#[test]
fn pointers_at_the_4_gib_end_end_the_program_as_in_wasmtime() {
    let dir = tempfile::tempdir().unwrap();
    let inv = Invocation {
        prepare: Some(one_file_dir),
        ..Invocation::new()
            .grant("--dir", "d::/d")
            .grant("--argv0", "app")
    };
    let (mut ended, mut returned) = (0, 0);
    for (name, body) in CASES {
        let wat = dir.path().join(format!("{name}.wat"));
        std::fs::write(&wat, module(body)).unwrap();
        let (kiln, wasmtime) = run_both(&wat, &inv);
        let stderr = String::from_utf8_lossy(&kiln.stderr);
        assert_eq!(
            kiln.status,
            wasmtime.status,
            "{name}: kiln {stderr}\nwasmtime {}",
            String::from_utf8_lossy(&wasmtime.stderr)
        );
        if kiln.status == 1 {
            ended += 1;
            assert!(stderr.starts_with("kiln: error: "), "{name}: {stderr}");
        } else {
            returned += 1;
        }
    }
    eprintln!("{ended} cases ended the program, {returned} returned an errno");
    assert!(
        ended >= 15 && returned >= 10,
        "{ended} ended, {returned} returned"
    );
}
