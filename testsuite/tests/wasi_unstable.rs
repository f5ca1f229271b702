//! Programs importing `wasi_unstable` (WASI snapshot 0) compiled by Kiln and compared byte
//! for byte with `wasmtime run`, which links both snapshots: a hand-written module calling
//! every function whose layout or numbering differs from preview1
//! (`testsuite/programs/wasi/wat/unstable.wat`), the calls of it that end the program, and
//! C programs built for preview1 with their imports renamed to `wasi_unstable`
//! ([`kiln_testsuite::unstable::to_unstable`]).

use std::path::{Path, PathBuf};

use kiln_testsuite::conformance::{assert_same, wasi_c};
use kiln_testsuite::programs::{
    assert_same_as_wasmtime, c_program, repo_root, sandbox_tree, Invocation,
};
use kiln_testsuite::unstable::to_unstable;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn nothing(_: &Path) {}

fn unstable_wat() -> PathBuf {
    repo_root().join("testsuite/programs/wasi/wat/unstable.wat")
}

/// Every snapshot-0 layout, in a fresh `/sandbox`: the output lines are `<case> <errno>:
/// <bytes>`. Besides the comparison, a few lines are checked against snapshot 0's
/// definition (`typenames.witx`).
#[test]
fn snapshot0_layouts_and_numbering_match_wasmtime() {
    let out = assert_same(&unstable_wat(), &[], &nothing, true);
    assert_eq!(out.outcome.status, 0);
    let s = text(&out.outcome.stdout);
    let has = |line: &str| assert!(s.contains(&format!("{line}\n")), "{line}\n{s}");
    // fd_seek: SET is 2, CUR 0, END 1.
    has("10 0000: 03 00 00 00 00 00 00 00");
    has("11 0000: 05 00 00 00 00 00 00 00");
    has("12 0000: 09 00 00 00 00 00 00 00");
    // filestat: regular file, a 32-bit nlink of 1 at 20, size 10 at 24, nothing written
    // past 56 bytes; dev, ino and the times all set.
    has("20 0000: 04 aa aa aa 01 00 00 00 0a 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 1f");
    // A symlink not followed, then followed.
    has("23 0000: 07 aa aa aa 01 00 00 00 05 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 1f");
    has("24 0000: 04 aa aa aa 01 00 00 00 0a 00 00 00 00 00 00 00 aa aa aa aa aa aa aa aa 1f");
    // The same file through preview1's fd_filestat_get: nlink at 24, size at 32.
    assert!(s.contains("2a 0000: 04 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 0a 00"));
    // path_open without SYMLINK_FOLLOW on a symlink: ELOOP.
    has("30 0020: ff ff ff ff");
    // A file's rights: every right snapshot 0 has (bits 0 to 28), no sock_accept.
    assert!(s.contains("43 0000: 04 00 00 00 00 00 00 00 ff ff ff 1f 00 00 00 00 ff ff ff 1f"));
    // A lone relative clock: one event with the subscription's userdata, the
    // `identifier` (0x99) untouched.
    assert!(s.contains("60 0000: 11 11 00 00 00 00 00 00 00 00 00 00"));
    assert!(s.contains("60 0000: 11 11 00 00 00 00 00 00 00 5a 5a 5a 5a 5a 5a 5a 99 00"));
}

/// The calls that end the program (status 1, as wasmtime): an invalid `whence`, preview1's
/// `sock_accept` right, an unknown lookup flag, and the socket functions wasmtime's
/// snapshot-0 adapter does not support. The messages differ in wording from wasmtime's.
#[test]
fn snapshot0_calls_that_end_the_program() {
    for (case, why) in [
        ("s", "invalid enum value Whence"),
        ("o", "invalid flag value Rights"),
        ("r", "invalid flag value Rights"),
        ("l", "invalid flag value Lookupflags"),
        ("1", "sock_recv unsupported"),
        ("2", "sock_send unsupported"),
        ("3", "sock_shutdown unsupported"),
    ] {
        let out = assert_same(&unstable_wat(), &[case], &nothing, false);
        assert_eq!(out.outcome.status, 1, "case {case}");
        assert!(
            text(&out.outcome.stdout).starts_with("before\n"),
            "case {case}"
        );
        let err = text(&out.outcome.stderr);
        assert!(
            err.starts_with("kiln: error: WASI call failed: ") && err.contains(why),
            "case {case}: {err}"
        );
    }
}

/// Conformance programs whose output does not depend on the layouts that differ (the
/// others read, say, a time where preview1 has the size, and print it).
#[test]
fn renamed_conformance_programs_match_wasmtime() {
    let readdir = to_unstable(&wasi_c("readdir"));
    let out = assert_same(&readdir, &[], &nothing, true);
    assert!(text(&out.outcome.stdout).ends_with("done\n"));
    let misc = to_unstable(&wasi_c("misc"));
    for (args, status) in [(&["a", "b c", "", "7"][..], 7), (&["return", "0"][..], 0)] {
        let out = assert_same(&misc, args, &nothing, true);
        assert_eq!(out.outcome.status, status);
    }
}

#[test]
fn renamed_c_programs_match_wasmtime() {
    let hello = Invocation::new()
        .args(&["one", "two words", ""])
        .grant("--argv0", "hello")
        .grant("--env", "GREETING=hi there");
    let out = assert_same_as_wasmtime(&to_unstable(&c_program("hello")), &hello);
    assert!(text(&out.stdout).contains("env GREETING=hi there\n"));
    assert_eq!(text(&out.stderr), "this line goes to stderr\n");
    let files = Invocation {
        prepare: Some(sandbox_tree),
        ..Invocation::new().grant("--dir", "data::/data")
    };
    let out = assert_same_as_wasmtime(&to_unstable(&c_program("files")), &files);
    assert!(text(&out.stdout).contains("preopen fd 3: /data\n"));
    for (name, status) in [
        ("floats", 0),
        ("big_array", 0),
        ("exit_proc", 3),
        ("exit_return", 7),
    ] {
        let out = assert_same_as_wasmtime(&to_unstable(&c_program(name)), &Invocation::new());
        assert_eq!(out.status, status, "{name}");
    }
}

/// A C program written for snapshot 0 (its own snapshot-0 structures and imports), once as
/// built (libc's imports from preview1 beside its own: a module importing both snapshots)
/// and once with every import renamed (all snapshot 0, as from an old SDK).
#[test]
fn c_program_written_for_snapshot0() {
    let built = wasi_c("unstable");
    for wasm in [built.clone(), to_unstable(&built)] {
        let out = assert_same(&wasm, &[], &nothing, true);
        let s = text(&out.outcome.stdout);
        assert!(s.contains("seek CUR 2: SUCCESS -> 9\n"), "{s}");
        assert!(s.contains("read after seeks: \"apshot 0\"\n"), "{s}");
        assert!(s.contains("seek END -3: SUCCESS -> 15\n"), "{s}");
        assert!(
            s.contains(
                "fd_filestat_get f.txt: SUCCESS filetype=4 nlink=1 size=18 dev,ino,mtim set: yes\n"
            ),
            "{s}"
        );
        assert!(
            s.contains("fdstat f.txt: SUCCESS filetype=4 rights=1fffffff\n"),
            "{s}"
        );
        assert!(
            s.contains("subscription kept: identifier=7 timeout=2000000\n"),
            "{s}"
        );
        assert!(s.ends_with("done\n"), "{s}");
    }
}
