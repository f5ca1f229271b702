//! A program started with stdin and stdout closed sees what wasmtime shows it: an empty
//! stdin and a stdout that accepts writes.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

use kiln_testsuite::programs::{c_program, kiln_compile, wasmtime};

/// Runs `cmd` with fds 0 and 1 closed; returns (status, stderr).
fn run_with_closed_stdio(mut cmd: Command) -> (i32, String) {
    cmd.env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: only async-signal-safe calls (close) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::close(0);
            libc::close(1);
            Ok(())
        });
    }
    let out = cmd.output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn closed_stdin_and_stdout_behave_as_under_wasmtime() {
    let wasm = c_program("closed_stdio");
    let dir = tempfile::tempdir().unwrap();
    let exe = kiln_compile(&wasm, dir.path(), &[]);
    let kiln = run_with_closed_stdio(Command::new(&exe));
    let mut wt = Command::new(wasmtime());
    wt.arg("run").arg(Path::new(&wasm));
    let wasmtime = run_with_closed_stdio(wt);
    assert_eq!(kiln, wasmtime);
    assert_eq!(kiln.1, "read(0) = 0, errno 0\nwrite(1) = 4, errno 0\n");
}
