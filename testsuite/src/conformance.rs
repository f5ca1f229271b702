//! The WASI conformance set (`testsuite/programs/wasi`): builds the C programs, and runs a
//! program compiled by Kiln (for any target: `run_pair_on`) and under `wasmtime run` each in
//! a fresh scratch directory preopened as `/sandbox`, comparing exit status, stdout, stderr
//! and the resulting files.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use crate::programs::{
    kiln_exe, programs_dir, repo_root, run_clean, run_clean_on, wasmtime, Outcome,
};

static LOCK: Mutex<()> = Mutex::new(());

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Builds `testsuite/programs/wasi/c/<name>.c` (with its `common.h`) for wasm32-wasi.
pub fn wasi_c(name: &str) -> PathBuf {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let dir = repo_root().join("testsuite/programs/wasi/c");
    let src = dir.join(format!("{name}.c"));
    let out_dir = programs_dir().join("wasi-c");
    std::fs::create_dir_all(&out_dir).unwrap();
    let wasm = out_dir.join(format!("{name}.wasm"));
    let newest = mtime(&src).max(mtime(&dir.join("common.h")));
    if mtime(&wasm).is_some() && mtime(&wasm) >= newest {
        return wasm;
    }
    let tmp = out_dir.join(format!("{name}.wasm.{}.tmp", std::process::id()));
    let out = crate::programs::clang()
        .args(["--target=wasm32-wasi", "-O2", "-Wno-unused-result"])
        .arg(&src)
        .arg("-o")
        .arg(&tmp)
        .output()
        .expect("clang-16 (install it with scripts/setup)");
    assert!(
        out.status.success(),
        "clang-16 {name}.c:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&tmp, &wasm).unwrap();
    wasm
}

/// Runs `program` in `cwd` with an empty environment (plus `env`), stdin `/dev/null`
/// ([`run_clean`], which retries a briefly busy executable).
pub fn run_in(
    program: &Path,
    args: &[impl AsRef<std::ffi::OsStr>],
    env: &[(&str, &str)],
    cwd: &Path,
) -> Outcome {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    run_clean(program, args, &env, cwd)
}

/// A listing of everything under `root`: type, relative path, contents (every byte,
/// escaped) or link target.
pub fn tree(root: &Path) -> String {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            // An entry can vanish between the listing and the look at it while a test's
            // own host thread still changes the tree (the symlink-swap race): it is left out.
            let Ok(m) = std::fs::symlink_metadata(&p) else {
                continue;
            };
            if m.file_type().is_symlink() {
                let Ok(t) = std::fs::read_link(&p) else {
                    continue;
                };
                out.push(format!("link {rel} -> {}", t.display()));
            } else if m.is_dir() {
                out.push(format!("dir  {rel}"));
                walk(root, &p, out);
            } else {
                // Every byte, escaped: binary files that differ must list differently.
                let data = std::fs::read(&p).unwrap_or_default();
                out.push(format!(
                    "file {rel} ({} bytes) \"{}\"",
                    data.len(),
                    data.escape_ascii()
                ));
            }
        }
    }
    let mut v = Vec::new();
    walk(root, root, &mut v);
    v.sort();
    v.join("\n")
}

/// What one engine did in its scratch directory.
#[derive(Debug)]
pub struct Run {
    pub outcome: Outcome,
    /// [`tree`] of the engine's root (the sandbox and what is beside it).
    pub tree: String,
}

/// Kiln's executable of `wasm` for `target` (`None`: the default), compiled with the
/// conformance grants once per test process ([`kiln_exe`]): the bad-argument tests run one
/// program dozens of times.
fn compiled(wasm: &Path, target: Option<&str>, others: &[&str]) -> PathBuf {
    let mut grants = grants(wasm, others);
    if let Some(t) = target {
        grants.extend(["--target".to_string(), t.to_string()]);
    }
    kiln_exe(wasm, &grants)
}

fn stem(wasm: &Path) -> String {
    wasm.file_stem().unwrap().to_str().unwrap().to_string()
}

/// The grants both engines get: the scratch `sandbox/` as `/sandbox`, each of `others` as
/// `/NAME`, argv[0] the program's name.
fn grants(wasm: &Path, others: &[&str]) -> Vec<String> {
    let mut grants: Vec<String> = ["--dir", "sandbox::/sandbox", "--argv0", &stem(wasm)]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for other in others {
        grants.extend(["--dir".to_string(), format!("{other}::/{other}")]);
    }
    grants
}

/// Runs `wasm` with `args`, Kiln first then wasmtime, each in a fresh root directory holding
/// `sandbox/` (preopened as `/sandbox`) after `setup(root)` ran on it.
pub fn run_pair(wasm: &Path, args: &[&str], setup: &dyn Fn(&Path)) -> (Run, Run) {
    run_pair_on(None, wasm, args, setup)
}

/// [`run_pair`] with Kiln's executable built for `target` (`None`: the default) and run
/// the way that target's executables run here ([`crate::targets::command`]: AArch64 ones
/// under `qemu-aarch64`); wasmtime runs on this machine either way.
pub fn run_pair_on(
    target: Option<&str>,
    wasm: &Path,
    args: &[&str],
    setup: &dyn Fn(&Path),
) -> (Run, Run) {
    run_pair_with(target, wasm, args, setup, &[])
}

/// [`run_pair_on`] with more preopens: each of `others` is a directory `NAME/` of the root
/// (made before `setup` runs), preopened as `/NAME`.
pub fn run_pair_with(
    target: Option<&str>,
    wasm: &Path,
    args: &[&str],
    setup: &dyn Fn(&Path),
    others: &[&str],
) -> (Run, Run) {
    let exe = compiled(wasm, target, others);
    let tmp = tempfile::Builder::new()
        .prefix("kiln-conformance-")
        .tempdir()
        .unwrap();
    let mut runs = Vec::new();
    for engine in ["kiln", "wasmtime"] {
        let root = tmp.path().join(engine);
        std::fs::create_dir_all(root.join("sandbox")).unwrap();
        for other in others {
            std::fs::create_dir_all(root.join(other)).unwrap();
        }
        setup(&root);
        let outcome = if engine == "kiln" {
            run_clean_on(target, &exe, args, &[], &root)
        } else {
            let mut a: Vec<String> = vec!["run".into()];
            a.extend(grants(wasm, others));
            a.push(wasm.to_str().unwrap().into());
            a.extend(args.iter().map(|s| s.to_string()));
            run_in(&wasmtime(), &a, &[], &root)
        };
        runs.push(Run {
            outcome,
            tree: tree(&root),
        });
    }
    let w = runs.pop().unwrap();
    let k = runs.pop().unwrap();
    (k, w)
}

fn show(o: &Outcome) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts that Kiln and wasmtime agree: status, stdout, the files left behind, and stderr
/// when `stderr` is set (wasmtime's own error reports differ from Kiln's in wording).
pub fn assert_same(wasm: &Path, args: &[&str], setup: &dyn Fn(&Path), stderr: bool) -> Run {
    assert_same_on(None, wasm, args, setup, stderr)
}

/// [`assert_same`] with Kiln's executable built for and run as `target` ([`run_pair_on`]).
pub fn assert_same_on(
    target: Option<&str>,
    wasm: &Path,
    args: &[&str],
    setup: &dyn Fn(&Path),
    stderr: bool,
) -> Run {
    assert_same_with(target, wasm, args, setup, stderr, &[])
}

/// [`assert_same_on`] with the preopens of [`run_pair_with`].
pub fn assert_same_with(
    target: Option<&str>,
    wasm: &Path,
    args: &[&str],
    setup: &dyn Fn(&Path),
    stderr: bool,
    others: &[&str],
) -> Run {
    let (k, w) = run_pair_with(target, wasm, args, setup, others);
    let same = k.outcome.status == w.outcome.status
        && k.outcome.stdout == w.outcome.stdout
        && (!stderr || k.outcome.stderr == w.outcome.stderr)
        && k.tree == w.tree;
    if !same {
        let mut msg = format!(
            "{} {args:?}: kiln ({}) and wasmtime differ\n",
            wasm.display(),
            target.unwrap_or("default target")
        );
        let _ = write!(
            msg,
            "===== kiln =====\n{}--- files ---\n{}\n===== wasmtime =====\n{}--- files ---\n{}\n",
            show(&k.outcome),
            k.tree,
            show(&w.outcome),
            w.tree
        );
        panic!("{msg}");
    }
    k
}
