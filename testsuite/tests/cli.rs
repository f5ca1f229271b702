//! The `kiln` command as a tool: the cache of `kiln run` (hits, misses, invalidation,
//! concurrent first runs, the size bound), exit statuses of each kind of error, shell
//! completions and the manual page.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kiln::{executable_for_run, Cache, CacheUse, Linker, Reporter, RunRequest};
use kiln_compiler::{CompileOptions, OptLevel};
use kiln_testsuite::programs::{c_program, kiln, wasmtime};

/// A copy of the hello program in a fresh directory, with a cache there.
struct Setup {
    _dir: tempfile::TempDir,
    wasm: PathBuf,
    cache: Cache,
}

fn setup() -> Setup {
    let dir = tempfile::Builder::new()
        .prefix("kiln-cli-")
        .tempdir()
        .unwrap();
    let wasm = dir.path().join("hello.wasm");
    std::fs::copy(c_program("hello"), &wasm).unwrap();
    let cache = Cache::at(dir.path().join("cache"), kiln::cache::DEFAULT_MAX_SIZE);
    Setup {
        _dir: dir,
        wasm,
        cache,
    }
}

fn linker() -> &'static Linker {
    static LINKER: std::sync::OnceLock<Linker> = std::sync::OnceLock::new();
    LINKER.get_or_init(|| Linker::resolve(None))
}

fn run<'a>(wasm: &'a Path, opts: &'a CompileOptions, cache: Option<&'a Cache>) -> RunRequest<'a> {
    RunRequest {
        input: wasm,
        opts,
        linker: linker(),
        cache,
    }
}

fn quiet() -> Reporter {
    Reporter::quiet()
}

/// Runs `program` as `kiln run` does (argv[0] = the module's file name) with a clean
/// environment.
fn output_as_run(program: &Path, wasm: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(program);
    cmd.arg0(wasm.file_name().unwrap())
        .args(args)
        .env_clear()
        .stdin(Stdio::null());
    kiln_testsuite::programs::output_retrying_busy(&mut cmd)
}

/// What `wasmtime run` prints for the module, with the same arguments.
fn wasmtime_output(wasm: &Path, args: &[&str]) -> std::process::Output {
    Command::new(wasmtime())
        .arg("run")
        .arg(wasm)
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn second_run_is_a_cache_hit_and_a_change_is_a_miss() {
    let s = setup();
    let opts = CompileOptions::default();
    let first = executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(first.cache, CacheUse::Miss);
    assert!(first.path().starts_with(s.cache.dir()));
    let second = executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(
        second.cache,
        CacheUse::Hit,
        "the second run must not recompile"
    );
    assert_eq!(second.path(), first.path());

    let got = output_as_run(second.path(), &s.wasm, &["a", "b c"]);
    let want = wasmtime_output(&s.wasm, &["a", "b c"]);
    assert_eq!(got.status.code(), want.status.code());
    assert_eq!(
        String::from_utf8_lossy(&got.stdout),
        String::from_utf8_lossy(&want.stdout)
    );

    // An option that changes the executable is another entry.
    let o0 = CompileOptions {
        opt_level: OptLevel::None,
        ..opts.clone()
    };
    let other = executable_for_run(&run(&s.wasm, &o0, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(other.cache, CacheUse::Miss, "-O 0 must recompile");
    assert_ne!(other.path(), first.path());
    let mut granted = opts.clone();
    granted
        .run_config
        .env
        .push(("GREETING".into(), Some("hi".into())));
    let with_env = executable_for_run(&run(&s.wasm, &granted, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(with_env.cache, CacheUse::Miss, "a grant must recompile");
    let out = output_as_run(with_env.path(), &s.wasm, &[]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("env GREETING=hi"),
        "the grant is in the new entry"
    );

    // So is a changed module (a custom section appended: the same code, other bytes).
    let mut bytes = std::fs::read(&s.wasm).unwrap();
    bytes.extend_from_slice(&[0, 4, 1, b'x', 0xab, 0xcd]);
    std::fs::write(&s.wasm, bytes).unwrap();
    let changed = executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(
        changed.cache,
        CacheUse::Miss,
        "a changed module must recompile"
    );
    assert_eq!(s.cache.usage().unwrap().entries, 4);

    // `--no-cache` neither reads nor fills it.
    let off = executable_for_run(&run(&s.wasm, &opts, None), &quiet()).unwrap();
    assert_eq!(off.cache, CacheUse::Off);
    assert!(!off.path().starts_with(s.cache.dir()));
    assert_eq!(s.cache.usage().unwrap().entries, 4);

    let removed = s.cache.clean().unwrap();
    assert_eq!(removed.entries, 4);
    let again = executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
    assert_eq!(again.cache, CacheUse::Miss, "a cleaned cache holds nothing");
}

/// Eight first runs of one module at once: each either builds the entry or finds it
/// whole; afterwards there is exactly one entry, it runs, and no temporary file is left.
#[test]
fn concurrent_first_runs_leave_one_good_entry() {
    let s = setup();
    let opts = CompileOptions::default();
    let barrier = std::sync::Barrier::new(8);
    let paths: Vec<PathBuf> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    let exe =
                        executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
                    // Each run starts what it got, while the others may still be renaming.
                    let out = output_as_run(exe.path(), &s.wasm, &["x"]);
                    assert_eq!(out.status.code(), Some(0));
                    assert!(String::from_utf8_lossy(&out.stdout).starts_with("hello from wasm"));
                    exe.path().to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(paths.iter().all(|p| p == &paths[0]), "{paths:?}");
    let entries = files_in(&s.cache.dir().join("v1"));
    assert_eq!(entries.len(), 1, "one entry and nothing else: {entries:?}");
    let got = output_as_run(&paths[0], &s.wasm, &["x"]);
    let want = wasmtime_output(&s.wasm, &["x"]);
    assert_eq!(got.stdout, want.stdout);
}

#[test]
fn eviction_keeps_the_size_bound() {
    let s = setup();
    let opts = CompileOptions::default();
    let first = executable_for_run(&run(&s.wasm, &opts, Some(&s.cache)), &quiet()).unwrap();
    let size = std::fs::metadata(first.path()).unwrap().len();
    // Room for two hello executables, not three.
    let bounded = Cache::at(s.cache.dir(), size * 5 / 2);
    let mut paths = vec![first.path().to_owned()];
    for level in [OptLevel::None, OptLevel::Speed] {
        let o = CompileOptions {
            opt_level: level,
            ..opts.clone()
        };
        let exe = executable_for_run(&run(&s.wasm, &o, Some(&bounded)), &quiet()).unwrap();
        assert_eq!(exe.cache, CacheUse::Miss);
        paths.push(exe.path().to_owned());
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let usage = bounded.usage().unwrap();
    assert_eq!(usage.entries, 2, "{usage:?}");
    assert!(usage.bytes <= bounded.max_size());
    assert!(!paths[0].exists(), "the least recently used entry goes");
    assert!(paths[1].exists() && paths[2].exists());
    // A bound smaller than one entry still keeps the entry just built.
    let tiny = Cache::at(s.cache.dir(), 1);
    let exe = executable_for_run(&run(&s.wasm, &opts, Some(&tiny)), &quiet()).unwrap();
    assert!(exe.path().exists());
    assert_eq!(tiny.usage().unwrap().entries, 1);
}

const EXIT_7: &str = r#"(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (call $exit (i32.const 7))))"#;

const TRAPS: &str = r#"(module (memory (export "memory") 1)
  (func (export "_start") unreachable))"#;

/// Each kind of outcome has its documented status: 0 success, 1 an error kiln reports
/// (unreadable input, invalid module, link failure), 2 a usage error, and `kiln run`
/// passes the program's own status through (134 for a trap).
#[test]
fn exit_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.into_os_string()
    };
    let exit7 = write("exit7.wat", EXIT_7);
    let traps = write("traps.wat", TRAPS);
    let invalid = write("invalid.wat", "(module (func (result i32)))");
    let missing: OsString = dir.path().join("absent.wasm").into();
    let run = |args: &[&std::ffi::OsStr]| {
        let mut all: Vec<OsString> = vec!["run".into(), "--no-cache".into()];
        all.extend(args.iter().map(|a| a.to_os_string()));
        kiln(all)
    };

    assert_eq!(
        run(&[&exit7]).0,
        7,
        "kiln run exits with the program's status"
    );
    let (code, stderr) = run(&[&traps]);
    assert_eq!(code, 134, "a trap: {stderr}");
    let (code, stderr) = run(&[&invalid]);
    assert_eq!(code, 1, "an invalid module");
    assert!(stderr.starts_with("kiln: error: "), "{stderr}");
    assert_eq!(run(&[&missing]).0, 1, "an unreadable module");
    let out = dir.path().join("out").into_os_string();
    let compile = |extra: &[&str]| {
        let mut all: Vec<OsString> = vec!["compile".into(), exit7.clone(), "-o".into()];
        all.push(out.clone());
        all.extend(extra.iter().map(OsString::from));
        kiln(all)
    };
    assert_eq!(compile(&[]).0, 0);
    assert_eq!(compile(&["--linker", "false"]).0, 1, "a link failure");

    // Usage errors: 2, as with wasmtime and clap, and distinct from kiln's own errors.
    assert_eq!(kiln(["compile", "x.wasm"]).0, 2, "a missing -o");
    assert_eq!(kiln(["frobnicate"]).0, 2, "an unknown command");
    assert_eq!(kiln(["run"]).0, 2, "a missing module");
    assert_eq!(compile(&["-O", "7"]).0, 2, "a value out of range");
    let cpu = compile(&[
        "--target",
        "aarch64-unknown-linux-musl",
        "--target-cpu",
        "x86-64-v3",
    ]);
    assert_eq!(cpu.0, 2, "flags that conflict: {}", cpu.1);
    assert_eq!(kiln(["completions", "tcsh"]).0, 2, "an unknown shell");
    assert_eq!(kiln(["--version"]).0, 0);
}

fn generated(args: &[&str]) -> String {
    use clap::Parser;
    let cli =
        kiln::Cli::try_parse_from(std::iter::once("kiln").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    kiln::tool_command_to(&cli.command, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn completions_are_generated_for_each_shell() {
    let bash = generated(&["completions", "bash"]);
    for word in [
        "compile",
        "run",
        "inspect",
        "cache",
        "--target-cpu",
        "--no-cache",
    ] {
        assert!(bash.contains(word), "bash completes {word}");
    }
    // The script is valid bash.
    let check = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(bash.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let zsh = generated(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef kiln"), "{}", &zsh[..40]);
    assert!(zsh.contains("--dir"));
    let fish = generated(&["completions", "fish"]);
    assert!(fish.contains("complete -c kiln"));
    assert!(fish.contains("-l target-cpu"));
}

#[test]
fn manual_page_is_generated() {
    let man = generated(&["man"]);
    assert!(man.contains(".TH kiln 1"), "{}", &man[..200]);
    assert!(
        man.contains("EXIT STATUS"),
        "the page documents exit statuses"
    );
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let (code, stderr) = kiln(["man".as_ref(), pages.as_os_str()]);
    assert_eq!(code, 0, "{stderr}");
    let files = files_in(&pages);
    for page in [
        "kiln.1",
        "kiln-compile.1",
        "kiln-run.1",
        "kiln-inspect.1",
        "kiln-cache.1",
    ] {
        assert!(files.iter().any(|f| f == page), "{page} in {files:?}");
    }
}

fn inspect_json(path: &Path) -> serde_json::Value {
    let text = generated(&["inspect", path.to_str().unwrap(), "--json"]);
    serde_json::from_str(&text).unwrap()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn inspect_a_module() {
    let dir = tempfile::tempdir().unwrap();
    let wat = dir.path().join("m.wat");
    std::fs::write(
        &wat,
        r#"(module $demo
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write_wrong" (func (param i32) (result i32)))
  (import "env" "host" (func (param i64)))
  (memory (export "memory") 1 2)
  (table 3 funcref)
  (global (mut i32) (i32.const 0))
  (func $f (param v128) (result v128) local.get 0)
  (func $g (result i32) return_call $h)
  (func $h (result i32) i32.const 1)
  (func (export "_start")))"#,
    )
    .unwrap();
    let r = inspect_json(&wat);
    assert_eq!(r["kind"], "module");
    assert_eq!(r["name"], "demo");
    assert_eq!(r["wasi_command"], true);
    assert_eq!(r["functions"]["imported"], 3);
    assert_eq!(r["functions"]["defined"], 4);
    let provided: Vec<(String, bool)> = r["imports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let name = format!(
                "{}.{}",
                i["module"].as_str().unwrap(),
                i["name"].as_str().unwrap()
            );
            (name, i["kiln_provides"].as_bool().unwrap())
        })
        .collect();
    assert_eq!(
        provided,
        [
            ("wasi_snapshot_preview1.fd_write".to_string(), true),
            ("wasi_snapshot_preview1.fd_write_wrong".to_string(), false),
            ("env.host".to_string(), false)
        ]
    );
    assert_eq!(r["imports"][2]["type"], "(i64) -> ()");
    assert_eq!(names(&r["exports"]), ["memory", "_start"]);
    assert_eq!(r["memories"][0], "1..2 pages");
    assert_eq!(r["tables"][0], "3.. funcref");
    assert_eq!(r["globals"][0], "mut i32");
    let proposals = names(&r["proposals"]);
    assert!(proposals.contains(&"simd".to_string()), "{proposals:?}");
    assert!(
        proposals.contains(&"tail-call".to_string()),
        "{proposals:?}"
    );
    assert!(!proposals.contains(&"threads".to_string()), "{proposals:?}");

    // A C program: clang's producers section, every import provided.
    let r = inspect_json(&c_program("hello"));
    assert!(r["imports"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kiln_provides"] == true));
    let processed_by = r["producers"]["processed-by"].to_string();
    assert!(processed_by.contains("clang"), "{}", r["producers"]);
    // The text form says the same.
    let text = generated(&["inspect", c_program("hello").to_str().unwrap()]);
    assert!(text.contains("a WASI command"), "{text}");
    assert!(text.contains("[Kiln provides]"), "{text}");
    assert!(text.contains("processed by"), "{text}");
}

/// Kiln strips executables unless `--debug`: inspect finds the descriptor by its symbol,
/// and without one by its magic.
#[test]
fn inspect_an_executable() {
    let dir = tempfile::tempdir().unwrap();
    for debug in [false, true] {
        let exe = dir.path().join(format!("app-{debug}"));
        let mut args: Vec<OsString> = vec![
            "compile".into(),
            c_program("hello").into(),
            "-o".into(),
            exe.clone().into(),
            "--env".into(),
            "GREETING=hi".into(),
            "--dir".into(),
            ".::/work".into(),
            "--target-cpu".into(),
            "x86-64-v2".into(),
            "--max-wasm-stack".into(),
            "65536".into(),
        ];
        if debug {
            args.push("--debug".into());
        }
        let (code, stderr) = kiln(args);
        assert_eq!(code, 0, "{stderr}");
        let r = inspect_json(&exe);
        assert_eq!(r["kind"], "executable");
        assert_eq!(r["kiln_version"], env!("CARGO_PKG_VERSION"));
        let default_target = kiln_compiler::Target::default().triple().to_string();
        assert_eq!(r["target"], default_target.as_str());
        assert_eq!(r["target_cpu"], "x86-64-v2");
        let config = &r["run_config"];
        assert_eq!(config["env"], serde_json::json!([["GREETING", "hi"]]));
        assert_eq!(config["dirs"], serde_json::json!([[".", "/work"]]));
        assert_eq!(config["max_wasm_stack"], 65536);
        let features = config["cpu_features"].to_string();
        assert!(
            features.contains("sse4.1") || features.contains("sse4_1"),
            "{features}"
        );
        assert!(names(&r["exports"]).contains(&"_start".to_string()));
        let text = generated(&["inspect", exe.to_str().unwrap()]);
        assert!(text.contains("a Kiln executable"), "{text}");
        assert!(text.contains("GREETING = hi"), "{text}");
    }

    // Not something Kiln built.
    let (code, stderr) = kiln(["inspect", "/bin/sh"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("Kiln did not build"), "{stderr}");
}

#[test]
fn verbose_prints_every_phase_with_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("app");
    let (code, stderr) = kiln([
        "-v".as_ref(),
        "compile".as_ref(),
        c_program("hello").as_os_str(),
        "-o".as_ref(),
        exe.as_os_str(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let mut phases = Vec::new();
    for line in stderr.lines() {
        let rest = line.strip_prefix("kiln: ").expect(line);
        let (name, time) = rest.split_once("  ").map(|(n, t)| (n.trim(), t)).unwrap();
        let ms: f64 = time
            .trim()
            .split(" ms")
            .next()
            .unwrap()
            .trim()
            .parse()
            .expect(line);
        assert!(ms >= 0.0);
        phases.push(name.to_string());
    }
    for phase in [
        "read file",
        "parse",
        "read + validate",
        "translate inlinees",
        "translate + codegen",
        "emit object",
        "link",
        "total",
    ] {
        assert!(phases.iter().any(|p| p == phase), "{phase} in {stderr}");
    }
    assert!(
        stderr.contains("functions into"),
        "the counts are given: {stderr}"
    );
    // Without -v, nothing.
    let (code, stderr) = kiln([
        "compile".as_ref(),
        c_program("hello").as_os_str(),
        "-o".as_ref(),
        exe.as_os_str(),
    ]);
    assert_eq!((code, stderr.as_str()), (0, ""));
}
