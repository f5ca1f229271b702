//! `kiln run` in an environment with neither `$XDG_CACHE_HOME` nor `$HOME` (a service
//! manager's, `env -i`): it runs the program uncached with a one-line note on stderr, rather
//! than failing. (A test of the `kiln` package, so that cargo builds the binary it runs; the
//! environment is the child's, so nothing here races with other tests.)

use std::process::Command;

mod common;
use common::HELLO;

fn kiln_run(dir: &std::path::Path, env: &[(&str, &str)], flags: &[&str]) -> std::process::Output {
    let wat = dir.join("hello.wat");
    std::fs::write(&wat, HELLO).unwrap();
    let mut kiln = Command::new(env!("CARGO_BIN_EXE_kiln"));
    kiln.arg("run")
        .args(flags)
        .arg(&wat)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("HOME")
        .env("TMPDIR", dir);
    for (k, v) in env {
        kiln.env(k, v);
    }
    kiln.output().unwrap()
}

#[test]
fn without_a_cache_directory_run_runs_uncached_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let out = kiln_run(dir.path(), &[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(
        stderr,
        "kiln: note: neither $XDG_CACHE_HOME nor $HOME is set: running without the cache\n"
    );
    // Nothing was left behind: the uncached executable lived in a temporary directory.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["hello.wat"]);
}

#[test]
fn an_empty_home_counts_as_none_and_a_relative_xdg_cache_home_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let out = kiln_run(
        dir.path(),
        &[("HOME", ""), ("XDG_CACHE_HOME", "relative/cache")],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("running without the cache"), "{stderr}");
    assert!(!dir.path().join("relative").exists());
}

#[test]
fn no_cache_says_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = kiln_run(dir.path(), &[], &["--no-cache"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_bad_size_bound_is_still_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = kiln_run(
        dir.path(),
        &[
            ("XDG_CACHE_HOME", dir.path().to_str().unwrap()),
            ("KILN_CACHE_MAX_SIZE", "lots"),
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("KILN_CACHE_MAX_SIZE=lots"), "{stderr}");
}
