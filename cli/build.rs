//! Builds Kiln's runtime (`../runtime`, feature `exe`) as a static library with a nested
//! `cargo build`, so that `src/link.rs` can `include_bytes!` it: the runtime travels inside the
//! `kiln` binary and an installed `kiln` needs nothing but a system linker.
//!
//! Set `KILN_RUNTIME_LIB=/path/to/libkiln_runtime.a` to embed a prebuilt library instead.

use std::env;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The runtime is always built for the one target Kiln emits code for.
const RUNTIME_TARGET: &str = "x86_64-unknown-linux-gnu";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    let dest = out_dir.join("libkiln_runtime.a");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=KILN_RUNTIME_LIB");
    if let Some(prebuilt) = env::var_os("KILN_RUNTIME_LIB") {
        println!("cargo:rerun-if-changed={}", Path::new(&prebuilt).display());
        copy(Path::new(&prebuilt), &dest);
        return;
    }

    let workspace = manifest_dir.join("..");
    let runtime = workspace.join("runtime");
    let runtime_manifest = runtime.join("Cargo.toml");
    if !runtime_manifest.is_file() {
        panic!(
            "kiln's runtime sources were not found at {} (build kiln from its source tree, \
             e.g. `cargo install --path cli`, or set KILN_RUNTIME_LIB)",
            runtime.display()
        );
    }
    // A directory is watched recursively: runtime/src, runtime/build.rs, runtime/abi/**, the
    // manifests. Only paths that exist are named, or cargo would rerun this on every build.
    for p in [
        runtime.clone(),
        workspace.join("Cargo.toml"),
        workspace.join("Cargo.lock"),
    ] {
        if p.exists() {
            println!("cargo:rerun-if-changed={}", p.display());
        }
    }

    let mut features: Vec<&str> = Vec::new();
    if has_feature(&runtime_manifest, "exe") {
        features.push("exe");
    } else {
        println!(
            "cargo:warning=kiln-runtime has no `exe` feature yet: the embedded runtime has no \
             process entry and linking executables will fail"
        );
    }

    let target_dir = out_dir.join("runtime-target");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--manifest-path")
        .arg(&runtime_manifest)
        .args(["--release", "--lib", "--target", RUNTIME_TARGET])
        .arg("--target-dir")
        .arg(&target_dir);
    if !features.is_empty() {
        cmd.arg("--features").arg(features.join(","));
    }
    if let Ok(jobs) = env::var("NUM_JOBS") {
        cmd.arg("-j").arg(jobs);
    }
    scrub_env(&mut cmd);
    // The library is written out for every link, and executables are linked with
    // --strip-debug anyway: build it without debug info.
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false");
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build kiln's runtime: {e}"));
    if !status.success() {
        panic!("building kiln's runtime failed ({status}); see the cargo output above");
    }
    let built = target_dir
        .join(RUNTIME_TARGET)
        .join("release")
        .join("libkiln_runtime.a");
    copy(&built, &dest);
    // The standard library's objects in the archive carry debug info of their own; strip
    // it too (a best effort: without binutils' `strip` the library is only larger).
    let stripped = Command::new("strip")
        .arg("--strip-debug")
        .arg(&dest)
        .status()
        .is_ok_and(|s| s.success());
    if !stripped {
        println!("cargo:warning=could not strip debug info from the runtime library");
    }
}

/// Removes what the outer cargo passes to build scripts and what would change how the nested
/// build compiles (flags meant for the outer build, the outer target dir, its jobserver, the
/// clippy wrapper, coverage instrumentation, ...).
fn scrub_env(cmd: &mut Command) {
    const EXACT: &[&str] = &[
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_CRATE_NAME",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "TARGET",
        "HOST",
        "OUT_DIR",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "NUM_JOBS",
        "LLVM_PROFILE_FILE",
    ];
    const PREFIXES: &[&str] = &[
        "CARGO_FEATURE_",
        "CARGO_CFG_",
        "CARGO_PKG_",
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS",
        "DEP_",
    ];
    for (key, _) in env::vars_os() {
        let Some(k) = key.to_str() else { continue };
        if EXACT.contains(&k) || PREFIXES.iter().any(|p| k.starts_with(p)) {
            cmd.env_remove(OsStr::new(k));
        }
    }
}

/// Whether `[features]` of the manifest declares `name` (a plain text scan: enough for ours).
fn has_feature(manifest: &Path, name: &str) -> bool {
    let text = std::fs::read_to_string(manifest).unwrap_or_default();
    let mut in_features = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_features = line == "[features]";
        } else if in_features {
            if let Some((key, _)) = line.split_once('=') {
                if key.trim().trim_matches('"') == name {
                    return true;
                }
            }
        }
    }
    false
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to)
        .unwrap_or_else(|e| panic!("cannot copy {} to {}: {e}", from.display(), to.display()));
}
