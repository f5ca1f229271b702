//! Builds Kiln's runtime (`../runtime`, feature `exe`) as a static library for every target
//! `kiln` can compile for, with a nested `cargo build --target TRIPLE` each, and writes
//! `runtimes.rs` so that `src/link.rs` can `include_bytes!` them: the runtimes travel inside
//! the `kiln` binary and an installed `kiln` needs nothing but a system linker. For the musl
//! targets it also embeds musl's start files and C library (`MUSL_LIBS`), taken from the
//! Rust target, so their executables link with no C library on the linking machine.
//!
//! Set `KILN_RUNTIME_LIB_<TRIPLE>` (the triple in upper case, `-` as `_`: e.g.
//! `KILN_RUNTIME_LIB_X86_64_UNKNOWN_LINUX_GNU`) to embed a prebuilt library for that target
//! instead; `KILN_RUNTIME_LIB` stands for the default (first) target's.
//!
//! For development only, `KILN_RUNTIME_TARGETS=x86_64-unknown-linux-gnu,...` builds and
//! embeds just those runtimes (the default target's is always kept): a change to the runtime
//! then rebuilds one library instead of four. Such a `kiln` refuses the other targets with a
//! message naming the runtimes it carries, and the tests of those targets fail.

use std::env;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The targets a runtime is built for, the default first: the same list as
/// `kiln_compiler::SUPPORTED_TRIPLES` (a test in `src/link.rs` checks it). A target whose
/// runtime needs a Rust standard library from `rustup target add` is added here too.
const RUNTIME_TARGETS: &[&str] = &[
    "x86_64-unknown-linux-musl",
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "aarch64-unknown-linux-musl",
];

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").unwrap());
    println!("cargo:rerun-if-changed=build.rs");

    let mut table = String::from(
        "/// (target triple, `libkiln_runtime.a` built for it), written by `build.rs`.\n\
         pub static RUNTIMES: &[(&str, &[u8])] = &[\n",
    );
    let mut to_build = Vec::new();
    let targets = runtime_targets();
    for (i, &triple) in targets.iter().enumerate() {
        let dest_dir = out_dir.join(triple);
        std::fs::create_dir_all(&dest_dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dest_dir.display()));
        let dest = dest_dir.join("libkiln_runtime.a");
        let var = prebuilt_var(triple);
        println!("cargo:rerun-if-env-changed={var}");
        let mut prebuilt = env::var_os(&var);
        if i == 0 {
            println!("cargo:rerun-if-env-changed=KILN_RUNTIME_LIB");
            prebuilt = prebuilt.or_else(|| env::var_os("KILN_RUNTIME_LIB"));
        }
        match prebuilt {
            Some(lib) => {
                println!("cargo:rerun-if-changed={}", Path::new(&lib).display());
                copy(Path::new(&lib), &dest);
            }
            None => to_build.push((triple, dest.clone())),
        }
        let _ = writeln!(
            table,
            "    ({triple:?}, include_bytes!({:?})),",
            dest.display().to_string()
        );
    }
    table.push_str("];\n");
    table.push_str(
        "/// (target triple, [(file name, contents)]): the C library files a musl target's \
         executables are linked with, written by `build.rs`.\n\
         pub static MUSL_LIBS: &[(&str, MuslFiles)] = &[\n",
    );
    for &triple in targets.iter().filter(|t| t.ends_with("-musl")) {
        table.push_str(&embed_musl(triple, &out_dir.join(triple)));
    }
    table.push_str("];\n");
    if !to_build.is_empty() {
        build_runtimes(&manifest_dir, &out_dir, &to_build);
    }
    let generated = out_dir.join("runtimes.rs");
    std::fs::write(&generated, table)
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", generated.display()));
}

/// [`RUNTIME_TARGETS`], or the subset `KILN_RUNTIME_TARGETS` names (the default target first,
/// always).
fn runtime_targets() -> Vec<&'static str> {
    println!("cargo:rerun-if-env-changed=KILN_RUNTIME_TARGETS");
    let Some(wanted) = env::var("KILN_RUNTIME_TARGETS")
        .ok()
        .filter(|w| !w.is_empty())
    else {
        return RUNTIME_TARGETS.to_vec();
    };
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    for w in &wanted {
        if !RUNTIME_TARGETS.contains(w) {
            panic!("KILN_RUNTIME_TARGETS names {w:?}, which is not one of {RUNTIME_TARGETS:?}");
        }
    }
    RUNTIME_TARGETS
        .iter()
        .enumerate()
        .filter(|(i, t)| *i == 0 || wanted.contains(t))
        .map(|(_, t)| *t)
        .collect()
}

/// `KILN_RUNTIME_LIB_X86_64_UNKNOWN_LINUX_GNU` for `x86_64-unknown-linux-gnu`.
fn prebuilt_var(triple: &str) -> String {
    format!(
        "KILN_RUNTIME_LIB_{}",
        triple.to_ascii_uppercase().replace('-', "_")
    )
}

/// Builds the runtime library for every `(triple, dest)` in one cargo run (the targets'
/// builds share its jobs) and copies each to its `dest`.
fn build_runtimes(manifest_dir: &Path, out_dir: &Path, targets: &[(&str, PathBuf)]) {
    let workspace = manifest_dir.join("..");
    let runtime = workspace.join("runtime");
    let runtime_manifest = runtime.join("Cargo.toml");
    if !runtime_manifest.is_file() {
        panic!(
            "kiln's runtime sources were not found at {} (build kiln from its source tree, \
             e.g. `cargo install --path cli`, or set {} for each target)",
            runtime.display(),
            prebuilt_var("<TRIPLE>")
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

    // One target directory for every triple: cargo keeps each under `<dir>/<triple>`.
    let target_dir = out_dir.join("runtime-target");
    let build = |own_std: bool| {
        let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(&runtime_manifest)
            .args(["--release", "--lib"])
            .arg("--target-dir")
            .arg(&target_dir);
        for (triple, _) in targets {
            cmd.args(["--target", triple]);
        }
        if !features.is_empty() {
            cmd.arg("--features").arg(features.join(","));
        }
        if let Ok(jobs) = env::var("NUM_JOBS") {
            cmd.arg("-j").arg(jobs);
        }
        scrub_env(&mut cmd);
        for (triple, _) in targets {
            choose_c_compiler(&mut cmd, triple);
        }
        // The library is written out for every link, and executables are linked with
        // --strip-debug anyway: build it without debug info.
        cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false");
        // Built for size: the runtime's work is start-up, WASI calls and traps, none of it
        // hot enough to pay for -O3's larger code (every executable carries it).
        cmd.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s");
        if own_std {
            // The standard library rebuilt without its `backtrace` feature: the prebuilt
            // one's panic hook can print a symbolized backtrace (`RUST_BACKTRACE`), which
            // links a DWARF reader and a demangler into every executable (about 215 KB of
            // hello world's 754 KB). Kiln's runtime never prints a Rust backtrace: a panic
            // still prints its message and aborts. `-Zbuild-std` is unstable, hence
            // RUSTC_BOOTSTRAP for this nested build only.
            cmd.args(["-Zbuild-std=std,panic_abort", "-Zbuild-std-features="]);
            cmd.env("RUSTC_BOOTSTRAP", "1");
            for (triple, _) in targets {
                // Where C's `long double` is binary128 (AArch64), musl's printf needs the
                // compiler builtins' f128 routines (`__multf3`, ...), which the builtins
                // compile only under this cfg; its build script would set it from
                // `target_has_reliable_f128`, which cargo does not pass it here.
                if triple.starts_with("aarch64-") {
                    let var = format!(
                        "CARGO_TARGET_{}_RUSTFLAGS",
                        triple.to_ascii_uppercase().replace('-', "_")
                    );
                    cmd.env(var, "--cfg=f128_enabled");
                }
            }
        }
        cmd.status()
            .unwrap_or_else(|e| panic!("cannot run cargo to build kiln's runtime: {e}"))
    };
    let triples = targets
        .iter()
        .map(|(t, _)| *t)
        .collect::<Vec<_>>()
        .join(", ");
    let own_std = std_sources_installed();
    let mut status = build(own_std);
    if !own_std {
        println!(
            "cargo:warning=the standard library's sources are not installed (`rustup component \
             add rust-src`): kiln's runtime is built with the prebuilt one, and every \
             executable is about 215 KB larger"
        );
    } else if !status.success() {
        println!(
            "cargo:warning=building kiln's runtime with its own standard library failed \
             ({status}; see the cargo output above): built with the prebuilt one instead, and \
             every executable is about 215 KB larger"
        );
        status = build(false);
    }
    if !status.success() {
        panic!(
            "building kiln's runtime for {triples} failed ({status}); see the cargo output above \
             (each target needs `rustup target add TRIPLE`, and a C compiler for it: \
             `scripts/setup` installs them)"
        );
    }
    for (triple, dest) in targets {
        let built = target_dir
            .join(triple)
            .join("release")
            .join("libkiln_runtime.a");
        copy(&built, dest);
        // The standard library's objects in the archive carry debug info of their own; strip
        // it too.
        strip_debug(triple, dest);
    }
}

/// Whether the standard library's sources of the toolchain building kiln (`rustup component
/// add rust-src`), which `-Zbuild-std` compiles, are installed.
fn std_sources_installed() -> bool {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output() else {
        return false;
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let manifest = sysroot.join("lib/rustlib/src/rust/library/std/Cargo.toml");
    // A path that does not exist would rerun this script on every build; rustup rewrites
    // `components` when one is added.
    let watched = if manifest.is_file() {
        manifest.clone()
    } else {
        sysroot.join("lib/rustlib/components")
    };
    println!("cargo:rerun-if-changed={}", watched.display());
    manifest.is_file()
}

/// Removes the debug info of an object or archive for `triple`, with the first strip tool
/// that knows its ELF machine (binutils' `strip` knows only the build machine's; LLVM's
/// knows every one). A best effort: without one the file is only larger.
fn strip_debug(triple: &str, file: &Path) {
    let arch = triple.split('-').next().unwrap_or_default();
    let cross = format!("{arch}-linux-gnu-strip");
    let host = env::var("HOST").unwrap_or_default();
    let mut tools = vec![cross.as_str()];
    if host.starts_with(arch) {
        tools.push("strip");
    }
    tools.extend([
        "llvm-strip",
        "llvm-strip-19",
        "llvm-strip-18",
        "llvm-strip-17",
        "llvm-strip-16",
    ]);
    let stripped = tools.iter().filter(|t| on_path(t)).any(|tool| {
        Command::new(tool)
            .arg("--strip-debug")
            .arg(file)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !stripped {
        println!(
            "cargo:warning=could not strip debug info from {} (install llvm or binutils for \
             {triple})",
            file.display()
        );
    }
}

/// The files of musl that an executable for a `*-linux-musl` target is linked with: start
/// files and the C library (and LLVM's libunwind, which the standard library in the
/// runtime refers to). They come from the Rust target's own copy (`rustup target add`
/// installs it under `lib/rustlib/<triple>/lib/self-contained`), so an executable for a
/// musl target needs no C library or cross toolchain on the machine that links it.
const MUSL_FILES: &[&str] = &[
    "crt1.o",
    "crti.o",
    "crtbegin.o",
    "crtend.o",
    "crtn.o",
    "libc.a",
    "libunwind.a",
];

/// Copies [`MUSL_FILES`] of `triple` into `dest_dir` (debug info stripped) and returns the
/// `include_bytes!` table entry for them.
fn embed_musl(triple: &str, dest_dir: &Path) -> String {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "target-libdir", "--target", triple])
        .output()
        .unwrap_or_else(|e| panic!("cannot run rustc to find the {triple} libraries: {e}"));
    let libdir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let dir = libdir.join("self-contained");
    let mut entry = format!("    ({triple:?}, &[\n");
    for name in MUSL_FILES {
        let from = dir.join(name);
        if !from.is_file() {
            panic!(
                "{} not found: the musl C library of {triple} comes with the Rust target \
                 (`rustup target add {triple}`)",
                from.display()
            );
        }
        println!("cargo:rerun-if-changed={}", from.display());
        let to = dest_dir.join(name);
        copy(&from, &to);
        strip_debug(triple, &to);
        let _ = writeln!(
            entry,
            "        ({name:?}, include_bytes!({:?})),",
            to.display().to_string()
        );
    }
    entry.push_str("    ]),\n");
    entry
}

/// The runtime's C helper (`runtime/src/trap_helper.c`) is compiled by the `cc` crate with
/// the target's C compiler: `cc` for the build machine's own target, `musl-gcc` for
/// x86-64 musl (Debian `musl-tools`), `aarch64-linux-gnu-gcc` for AArch64 glibc (Debian
/// `gcc-aarch64-linux-gnu`). Debian has no AArch64 musl compiler: when
/// `aarch64-linux-musl-gcc` is not installed (and `CC_<triple>` does not name another),
/// clang compiles it for that target (runtime/build.rs then uses no C library headers).
fn choose_c_compiler(cmd: &mut Command, triple: &str) {
    let var = format!("CC_{}", triple.replace('-', "_"));
    println!("cargo:rerun-if-env-changed={var}");
    if triple != "aarch64-unknown-linux-musl" || env::var_os(&var).is_some() {
        return;
    }
    if on_path("aarch64-linux-musl-gcc") {
        return;
    }
    let clang = ["clang", "clang-19", "clang-18", "clang-17", "clang-16"]
        .into_iter()
        .find(|c| on_path(c));
    match clang {
        Some(clang) => {
            cmd.env(&var, clang);
        }
        None => println!(
            "cargo:warning=no C compiler for {triple}: install clang (or aarch64-linux-musl-gcc, \
             or name one in {var})"
        ),
    }
}

fn on_path(program: &str) -> bool {
    env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|d| d.join(program).is_file()))
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
    const PREFIXES: &[&str] = &["CARGO_FEATURE_", "CARGO_CFG_", "CARGO_PKG_", "DEP_"];
    // Flags meant for the outer build of any target (`CARGO_TARGET_<TRIPLE>_RUSTFLAGS`);
    // a target's linker setting stays, a cross build may need it.
    let target_rustflags = |k: &str| k.starts_with("CARGO_TARGET_") && k.ends_with("_RUSTFLAGS");
    for (key, _) in env::vars_os() {
        let Some(k) = key.to_str() else { continue };
        if EXACT.contains(&k) || PREFIXES.iter().any(|p| k.starts_with(p)) || target_rustflags(k) {
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
