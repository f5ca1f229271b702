//! The whole `core-2.0` tier of the WebAssembly spec test suite, through Kiln's real
//! pipeline. Each script runs in its own `kiln-spec` child process; the test fails on any
//! failure not listed in `spec-expected-failures.txt` and on any listed one that passes.

use std::path::PathBuf;
use std::process::Command;

fn manifest() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn core_2_0() {
    let suite = std::env::var_os("KILN_SPEC_SUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../../shared/spec-testsuite"));
    let tier = suite.join("core-2.0");
    assert!(
        tier.is_dir(),
        "spec scripts not found at {}",
        tier.display()
    );
    let status = Command::new(env!("CARGO_BIN_EXE_kiln-spec"))
        .arg("--expected")
        .arg(manifest().join("spec-expected-failures.txt"))
        .arg(&tier)
        .status()
        .expect("cannot run kiln-spec");
    assert!(status.success(), "unexpected spec failures (see above)");
}

/// Every directive of `selftest.wast` but its first module must fail: a harness that
/// accepts wrong results, missing traps or valid modules as invalid would pass them.
#[test]
fn harness_rejects_what_it_should() {
    let script = manifest().join("src/spec/selftest.wast");
    let out = Command::new(env!("CARGO_BIN_EXE_kiln-spec"))
        .args(["--no-expected", "-v"])
        .arg(&script)
        .output()
        .expect("cannot run kiln-spec");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(!out.status.success());
    assert!(
        stdout.contains("selftest.wast: 1 passed, 19 failed"),
        "the harness let a wrong directive pass"
    );
    assert!(stdout.lines().last() == Some("1 passed, 19 failed"));
}
