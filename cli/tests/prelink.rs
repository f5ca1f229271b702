//! The default target's link against the pre-linked runtime (`src/prelink.rs`): made once in
//! the cache, used by the next links, and given up for the archives when it cannot be made.
//! Each test has its own `XDG_CACHE_HOME`, so nothing here races with other tests.

use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::HELLO;

/// `kiln compile -v` of [`HELLO`] into `dir/name` with `dir/cache` as the cache; returns the
/// link line of the report, after checking that the executable runs as it should.
fn compile_and_run(dir: &Path, name: &str) -> String {
    let wat = dir.join("hello.wat");
    std::fs::write(&wat, HELLO).unwrap();
    let exe = dir.join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["compile", "-v"])
        .arg(&wat)
        .arg("-o")
        .arg(&exe)
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(run.status.code(), Some(3));
    assert_eq!(run.stdout, b"hi\n");
    stderr
        .lines()
        .find(|l| l.starts_with("kiln: link "))
        .unwrap_or_else(|| panic!("no link line in:\n{stderr}"))
        .to_string()
}

/// The default target's directory in the cache under `dir/cache`.
fn target_dir(dir: &Path) -> PathBuf {
    let runtime = dir.join("cache/kiln/runtime");
    let build = std::fs::read_dir(&runtime)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.is_dir())
        .expect("a build directory in the cache");
    build.join("x86_64-unknown-linux-musl")
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(name).is_file()))
}

/// Only where the pre-link applies: the default target is this machine's, with GNU ld.
fn applies() -> bool {
    cfg!(target_arch = "x86_64") && on_path("ld.bfd")
}

#[test]
fn the_first_link_makes_the_prelinked_runtime_and_the_next_use_it() {
    if !applies() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let first = compile_and_run(dir.path(), "a");
    assert!(first.contains("pre-linked runtime"), "{first}");
    let prelinked = target_dir(dir.path()).join("runtime-prelinked.o");
    let made = std::fs::metadata(&prelinked).unwrap().modified().unwrap();
    let second = compile_and_run(dir.path(), "b");
    assert!(second.contains("pre-linked runtime"), "{second}");
    // Used, not made again.
    assert_eq!(
        std::fs::metadata(&prelinked).unwrap().modified().unwrap(),
        made
    );
}

#[test]
fn without_a_prelinked_runtime_the_link_takes_the_archives() {
    if !applies() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    compile_and_run(dir.path(), "a");
    // As a pre-link that failed leaves it.
    let target = target_dir(dir.path());
    std::fs::remove_file(target.join("runtime-prelinked.o")).unwrap();
    std::fs::write(target.join("runtime-prelinked.failed"), b"").unwrap();
    let line = compile_and_run(dir.path(), "b");
    assert!(!line.contains("pre-linked"), "{line}");
    assert!(!target.join("runtime-prelinked.o").exists());
}

#[test]
fn a_prelinked_runtime_that_does_not_link_is_passed_over() {
    if !applies() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    compile_and_run(dir.path(), "a");
    // Not an object at all: the link against it fails, and the archives' link runs.
    let prelinked = target_dir(dir.path()).join("runtime-prelinked.o");
    std::fs::write(&prelinked, b"not an object").unwrap();
    let line = compile_and_run(dir.path(), "b");
    assert!(!line.contains("pre-linked"), "{line}");
}
