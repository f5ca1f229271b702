//! WASI test programs: building them (C with clang-16, Rust for wasm32-wasip1, cached by mtime
//! under the cargo target dir), compiling them with `kiln` in-process, running the executable
//! and `wasmtime run` on the same `.wasm`, and comparing the outcomes byte for byte.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The cargo target directory this test binary was built into (found through the
/// `CACHEDIR.TAG` cargo writes at its root), else `<repo>/target`.
pub fn target_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            if dir.join("CACHEDIR.TAG").is_file() {
                return dir.to_path_buf();
            }
        }
    }
    repo_root().join("target")
}

/// Where built test programs go.
pub fn programs_dir() -> PathBuf {
    target_dir().join("kiln-programs")
}

/// The oracle: wasmtime 49 installed by `scripts/setup`.
pub fn wasmtime() -> PathBuf {
    let p = repo_root().join(".tools/wasmtime/wasmtime_cli/wasmtime");
    assert!(p.is_file(), "{} is missing: run scripts/setup", p.display());
    p
}

/// The oracle of wasi-threads programs: wasmtime 46, the last release whose `wasmtime run`
/// takes `-S threads` (47 and later refuse the flag).
pub fn wasmtime_threads() -> PathBuf {
    let p = repo_root().join(".tools/wasmtime-threads/wasmtime_cli/wasmtime");
    assert!(p.is_file(), "{} is missing: run scripts/setup", p.display());
    p
}

/// The flags that make `wasmtime run` (of [`wasmtime_threads`]) run a wasi-threads program.
pub const WASMTIME_THREADS_FLAGS: [&str; 4] = ["-S", "threads", "-W", "threads,shared-memory"];

/// wasmtime 46's stderr without the deprecation warning `-S threads` makes it print first
/// (a line, then a line of spaces).
pub fn without_threads_warning(stderr: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(stderr);
    let mut lines = text.split_inclusive('\n').peekable();
    let mut out = String::new();
    while let Some(line) = lines.next() {
        if line.starts_with("WARNING: the `-Sthreads` flag") {
            if lines.peek().is_some_and(|l| l.trim().is_empty()) {
                lines.next();
            }
            continue;
        }
        out.push_str(line);
    }
    out.into_bytes()
}

/// `clang-16`, ready to build a test program the same way whatever else is installed.
///
/// clang's WebAssembly driver runs binaryen's `wasm-opt` after a link that has an `-O`
/// flag whenever it finds one (in its own directory or on PATH), and `wasm-opt` drops the
/// name section the trap tests read. clang 16 has no flag to stop it, so clang runs with
/// a PATH from which every directory holding a `wasm-opt` is left out.
pub fn clang() -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    // Found on the caller's PATH, before the PATH is filtered.
    let clang = dirs
        .iter()
        .map(|d| d.join("clang-16"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("clang-16"));
    let kept = dirs.iter().filter(|d| !d.join("wasm-opt").exists());
    let mut cmd = Command::new(clang);
    cmd.env(
        "PATH",
        std::env::join_paths(kept).expect("PATH entries were split from PATH"),
    );
    cmd
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

/// Newest modification time of the files under `dir`.
fn newest_under(dir: &Path) -> Option<SystemTime> {
    let mut newest = mtime(dir);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let p = entry.path();
        let t = if p.is_dir() {
            newest_under(&p)
        } else {
            mtime(&p)
        };
        newest = newest.max(t);
    }
    newest
}

/// Runs `cmd`, panicking with its output unless it succeeds.
pub fn run_checked(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}): {cmd:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Serialises builds within one test process (across processes, outputs are renamed into
/// place, and cargo locks its own target dir).
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Builds `testsuite/programs/c/<name>.c` with `clang-16 --target=wasm32-wasi -O2` unless the
/// `.wasm` is newer than the source.
pub fn c_program(name: &str) -> PathBuf {
    c_program_with(name, &[])
}

/// [`c_program`] with extra clang flags (e.g. `-msimd128`); each program has one set.
pub fn c_program_with(name: &str, flags: &[&str]) -> PathBuf {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = repo_root()
        .join("testsuite/programs/c")
        .join(format!("{name}.c"));
    let dir = programs_dir().join("c");
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join(format!("{name}.wasm"));
    if mtime(&wasm).is_some() && mtime(&wasm) >= mtime(&src) {
        return wasm;
    }
    let tmp = dir.join(format!("{name}.wasm.{}.tmp", std::process::id()));
    run_checked(
        clang()
            .args(["--target=wasm32-wasi", "-O2"])
            .args(flags)
            .arg(&src)
            .arg("-o")
            .arg(&tmp)
            .arg("-lm"),
        &format!("clang-16 {name}.c (install it with scripts/setup)"),
    );
    std::fs::rename(&tmp, &wasm).unwrap();
    wasm
}

/// The hand-written module `testsuite/programs/wat/<name>.wat` (for what no toolchain here
/// emits on purpose); `kiln` and `wasmtime run` both take the text format.
pub fn wat_program(name: &str) -> PathBuf {
    repo_root()
        .join("testsuite/programs/wat")
        .join(format!("{name}.wat"))
}

/// Builds the Rust program crate `testsuite/programs/rust` for `wasm32-wasip1` (once per test
/// process; cargo itself skips the work when nothing changed).
pub fn rust_program() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| cargo_wasm("rust", "rust-target", "wasm32-wasip1", "rust_program"))
        .clone()
}

/// `testsuite/programs/rust-threads` built for `wasm32-wasip1-threads` (release): a
/// `std::thread` program on wasi-threads.
pub fn rust_threads_program() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            cargo_wasm(
                "rust-threads",
                "rust-threads-target",
                "wasm32-wasip1-threads",
                "rust_threads",
            )
        })
        .clone()
}

/// Builds the binary `bin` of the crate `testsuite/programs/<dir>` for the wasm `triple`
/// (release) into `<programs_dir>/<target_dir>`, unless it is newer than the sources.
fn cargo_wasm(dir: &str, target_dir: &str, triple: &str, bin: &str) -> PathBuf {
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let krate = repo_root().join("testsuite/programs").join(dir);
    let target = programs_dir().join(target_dir);
    let wasm = target.join(format!("{triple}/release/{bin}.wasm"));
    if mtime(&wasm).is_some() && mtime(&wasm) >= newest_under(&krate) {
        return wasm;
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "--release", "--target", triple])
        .arg("--manifest-path")
        .arg(krate.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
    ] {
        cmd.env_remove(var);
    }
    run_checked(
        &mut cmd,
        &format!("building a Rust test program (needs the {triple} target: scripts/setup)"),
    );
    mark_fresh(&wasm);
    wasm
}

/// Sets `path`'s mtime to now: Cargo does not rewrite an up-to-date output, and the
/// mtime caches of the test programs must see that it was rebuilt.
pub(crate) fn mark_fresh(path: &Path) {
    let _ = std::fs::File::options()
        .append(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()));
}

/// Runs `kiln` in-process with `args` (without the program name): (exit status, stderr).
pub fn kiln<I, T>(args: I) -> (i32, String)
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut stderr = Vec::new();
    let argv = std::iter::once(OsString::from("kiln")).chain(args.into_iter().map(Into::into));
    let code = kiln::main_with_args(argv, &mut stderr);
    (code, String::from_utf8_lossy(&stderr).into_owned())
}

/// What a process did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// One way to run a program: arguments, the host environment it starts with (nothing else is
/// inherited), and the grants given to both `kiln compile` and `wasmtime run`.
#[derive(Clone, Debug, Default)]
pub struct Invocation {
    pub args: Vec<String>,
    /// The host environment of the process (e.g. values for `--env K`).
    pub host_env: Vec<(String, String)>,
    /// Flags understood by both `kiln compile` and `wasmtime run`: `--env`, `--dir`, `--argv0`.
    pub grants: Vec<String>,
    /// Flags for one side only, where the spellings differ (`--inherit-env` is
    /// `-S inherit-env` to wasmtime).
    pub kiln_only: Vec<String>,
    pub wasmtime_only: Vec<String>,
    /// Prepares the working directory both programs run in (files for `--dir` grants).
    pub prepare: Option<fn(&Path)>,
    /// The target kiln compiles for (`--target`; None: the default), its executable run
    /// by [`crate::targets::command`].
    pub target: Option<&'static str>,
    /// A wasi-threads program: the oracle is [`wasmtime_threads`] with
    /// [`WASMTIME_THREADS_FLAGS`], its deprecation warning left out of its stderr.
    pub threads: bool,
}

impl Invocation {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }
    pub fn host_env(mut self, k: &str, v: &str) -> Self {
        self.host_env.push((k.into(), v.into()));
        self
    }
    pub fn grant(mut self, flag: &str, value: &str) -> Self {
        self.grants.push(flag.into());
        self.grants.push(value.into());
        self
    }
    pub fn target(mut self, triple: &'static str) -> Self {
        self.target = Some(triple);
        self
    }
    /// Runs a wasi-threads program (see [`Invocation::threads`]).
    pub fn threads(mut self) -> Self {
        self.threads = true;
        self
    }
    /// The same grant, spelled differently for `kiln compile` and `wasmtime run`.
    pub fn grant_each(mut self, kiln: &[&str], wasmtime: &[&str]) -> Self {
        self.kiln_only.extend(kiln.iter().map(|s| s.to_string()));
        self.wasmtime_only
            .extend(wasmtime.iter().map(|s| s.to_string()));
        self
    }
}

/// `cmd.output()`, retrying while the executable is briefly busy (`ETXTBSY`: a child that
/// another test thread forked meanwhile still holds the fd the executable was written
/// through, until it execs). Panics if the program cannot be run.
pub fn output_retrying_busy(cmd: &mut Command) -> std::process::Output {
    let mut attempt = 0;
    loop {
        match cmd.output() {
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && attempt < 100 => {
                attempt += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            r => return r.unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}")),
        }
    }
}

/// Runs `program` in `cwd` with a clean environment (only `host_env` plus a minimal PATH)
/// and stdin `/dev/null`.
pub fn run_clean(
    program: &Path,
    args: &[impl AsRef<OsStr>],
    host_env: &[(String, String)],
    cwd: &Path,
) -> Outcome {
    run_clean_on(None, program, args, host_env, cwd)
}

/// [`run_clean`] for an executable of `target` ([`crate::targets::command`]).
pub fn run_clean_on(
    target: Option<&str>,
    program: &Path,
    args: &[impl AsRef<OsStr>],
    host_env: &[(String, String)],
    cwd: &Path,
) -> Outcome {
    use std::os::unix::process::ExitStatusExt;
    let out = output_retrying_busy(
        crate::targets::command(target, program)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .envs(host_env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::null()),
    );
    let status = out
        .status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
    Outcome {
        status,
        stdout: out.stdout,
        stderr: out.stderr,
    }
}

/// Compiles `wasm` with `kiln compile <grants>` into `dir`, returning the executable.
pub fn kiln_compile(wasm: &Path, dir: &Path, grants: &[String]) -> PathBuf {
    let exe = dir.join(wasm.file_stem().unwrap());
    let mut args: Vec<OsString> = vec![
        "compile".into(),
        wasm.into(),
        "-o".into(),
        exe.clone().into(),
    ];
    args.extend(grants.iter().map(OsString::from));
    let (code, stderr) = kiln(args);
    assert_eq!(code, 0, "kiln compile {} failed:\n{stderr}", wasm.display());
    exe
}

/// `kiln compile wasm -o EXE <grants>`, once per test process for the same module (path,
/// size and modification time) and grants: the executable is cached under
/// `<programs_dir>/exe`, compiled under a temporary name and renamed into place.
/// Compiling under the lock keeps the two cores for one compilation at a time.
pub fn kiln_exe(wasm: &Path, grants: &[String]) -> PathBuf {
    type Key = (PathBuf, u64, Option<SystemTime>, Vec<String>);
    static EXES: Mutex<Option<HashMap<Key, PathBuf>>> = Mutex::new(None);
    let meta = std::fs::metadata(wasm).unwrap_or_else(|e| panic!("{}: {e}", wasm.display()));
    let key = (
        wasm.to_path_buf(),
        meta.len(),
        meta.modified().ok(),
        grants.to_vec(),
    );
    let mut exes = EXES.lock().unwrap_or_else(|e| e.into_inner());
    let exes = exes.get_or_insert_with(HashMap::new);
    if let Some(exe) = exes.get(&key) {
        return exe.clone();
    }
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    let dir = programs_dir().join("exe");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join(format!(
        "{}-{:016x}",
        wasm.file_stem().unwrap().to_string_lossy(),
        h.finish()
    ));
    // Compiled under a name of this process's own, then renamed over the previous run's.
    let tmp = dir.join(format!(
        "{}.{}.tmp",
        exe.file_name().unwrap().to_string_lossy(),
        std::process::id()
    ));
    let mut args: Vec<OsString> = vec![
        "compile".into(),
        wasm.into(),
        "-o".into(),
        tmp.clone().into(),
    ];
    args.extend(grants.iter().map(OsString::from));
    let (code, stderr) = kiln(args);
    assert_eq!(code, 0, "kiln compile {} failed:\n{stderr}", wasm.display());
    std::fs::rename(&tmp, &exe).unwrap();
    exes.insert(key, exe.clone());
    exe
}

/// Runs `wasm` compiled by kiln and under `wasmtime run` with the same invocation; returns both
/// outcomes (kiln's first).
pub fn run_both(wasm: &Path, inv: &Invocation) -> (Outcome, Outcome) {
    let (native, oracle) = run_both_with_files(wasm, inv);
    (native.0, oracle.0)
}

/// [`run_both`], each outcome with the [`crate::conformance::tree`] of the working directory
/// the program ran in, as it left it.
fn run_both_with_files(wasm: &Path, inv: &Invocation) -> ((Outcome, String), (Outcome, String)) {
    // Each side runs in its own fresh working directory, prepared the same way.
    let workdir = || {
        let dir = tempfile::Builder::new()
            .prefix("kiln-wasi-")
            .tempdir()
            .unwrap();
        if let Some(prepare) = inv.prepare {
            prepare(dir.path());
        }
        dir
    };
    let mut kiln_grants = [&inv.kiln_only[..], &inv.grants[..]].concat();
    if let Some(t) = inv.target {
        kiln_grants.extend(["--target".to_string(), t.to_string()]);
    }
    let exe = kiln_exe(wasm, &kiln_grants);
    let native_dir = workdir();
    let native = run_clean_on(
        inv.target,
        &exe,
        &inv.args,
        &inv.host_env,
        native_dir.path(),
    );

    let mut wt_args: Vec<OsString> = vec!["run".into()];
    if inv.threads {
        wt_args.extend(WASMTIME_THREADS_FLAGS.map(OsString::from));
    }
    wt_args.extend(inv.wasmtime_only.iter().map(OsString::from));
    wt_args.extend(inv.grants.iter().map(OsString::from));
    wt_args.push(wasm.into());
    wt_args.extend(inv.args.iter().map(OsString::from));
    let oracle_dir = workdir();
    let oracle_exe = if inv.threads {
        wasmtime_threads()
    } else {
        wasmtime()
    };
    let mut oracle = run_clean(&oracle_exe, &wt_args, &inv.host_env, oracle_dir.path());
    if inv.threads {
        oracle.stderr = without_threads_warning(&oracle.stderr);
    }
    (
        (native, crate::conformance::tree(native_dir.path())),
        (oracle, crate::conformance::tree(oracle_dir.path())),
    )
}

/// Asserts that kiln's executable behaved exactly like `wasmtime run`, byte for byte: exit
/// status, stdout, stderr and the files left in the working directory.
pub fn assert_same_as_wasmtime(wasm: &Path, inv: &Invocation) -> Outcome {
    let ((native, native_files), (oracle, oracle_files)) = run_both_with_files(wasm, inv);
    if native != oracle || native_files != oracle_files {
        let mut msg = format!(
            "{} {:?}: kiln ({}) and wasmtime differ\n",
            wasm.display(),
            inv.args,
            inv.target.unwrap_or("default target")
        );
        let show = |o: &Outcome, files: &str| {
            format!(
                "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--- files ---\n{files}\n",
                o.status,
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        let _ = write!(
            msg,
            "===== kiln =====\n{}===== wasmtime =====\n{}",
            show(&native, &native_files),
            show(&oracle, &oracle_files)
        );
        panic!("{msg}");
    }
    native
}

/// A tree for sandbox tests (an `Invocation`'s `prepare`): `data/` with a file, a subdirectory and a symlink pointing out; `secret.txt` beside it.
pub fn sandbox_tree(dir: &Path) {
    let data = dir.join("data");
    std::fs::create_dir_all(data.join("sub")).unwrap();
    std::fs::write(data.join("input.txt"), "input contents\n").unwrap();
    std::fs::write(data.join("sub/nested.txt"), "nested\n").unwrap();
    std::fs::write(dir.join("secret.txt"), "secret\n").unwrap();
    std::os::unix::fs::symlink("../secret.txt", data.join("link_out")).unwrap();
}
